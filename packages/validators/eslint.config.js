import { config } from "@valuelens/config/eslint";
export default config({ pkg: "validators", tsconfigRootDir: import.meta.dirname });
