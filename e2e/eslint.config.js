import { config } from "@valuelens/config/eslint";
export default config({ pkg: "e2e", tsconfigRootDir: import.meta.dirname });
