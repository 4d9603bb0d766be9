import { config } from "@valuelens/config/eslint";
export default config({ pkg: "web", tsconfigRootDir: import.meta.dirname });
