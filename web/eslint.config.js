// ESLint for the web app: typescript-eslint (strict, with types), the rules of hooks, and
// jsx-a11y; formatting is Prettier's (`npm run lint` runs both; make test runs it).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/api/schema.d.ts"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.flatConfigs.recommended.rules,
      // Numbers and booleans in template literals read fine ("3 of 5", `${id}-${n}`).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Tests stub async APIs with async functions that need no await, and assert what exists.
    files: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-misused-promises": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  { files: ["**/*.js"], extends: [tseslint.configs.disableTypeChecked] },
  // The service worker runs in the worker global scope, not a page.
  { files: ["public/sw.js"], languageOptions: { globals: globals.serviceworker } },
  prettier,
  // After Prettier's config, which turns it off: Prettier wraps code at 120, not strings.
  { rules: { "max-len": ["error", { code: 120, ignoreUrls: true }] } },
);
