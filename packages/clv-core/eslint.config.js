import { config } from "@valuelens/config/eslint";
export default config({ pkg: "clv-core", tsconfigRootDir: import.meta.dirname });
