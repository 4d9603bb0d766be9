import { config } from "@valuelens/config/eslint";
export default config({ pkg: "api", tsconfigRootDir: import.meta.dirname });
