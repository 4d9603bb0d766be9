import { config } from "@valuelens/config/eslint";
export default config({ pkg: "db", tsconfigRootDir: import.meta.dirname });
