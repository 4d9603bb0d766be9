import { config } from "@valuelens/config/eslint";
export default config({ pkg: "auth", tsconfigRootDir: import.meta.dirname });
