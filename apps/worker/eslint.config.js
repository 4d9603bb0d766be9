import { config } from "@valuelens/config/eslint";
export default config({ pkg: "worker", tsconfigRootDir: import.meta.dirname });
