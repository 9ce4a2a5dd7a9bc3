// Build the static assets: NHS.UK CSS from Sass, and copy its JS and images.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const out = join(root, "portfolio", "static", "nhsuk");

mkdirSync(out, { recursive: true });
const result = sass.compile(join(root, "assets", "scss", "portfolio.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(out, "portfolio.min.css"), result.css);
cpSync(join(dist, "nhsuk-frontend.min.js"), join(out, "nhsuk-frontend.min.js"));
cpSync(join(dist, "assets"), join(out, "assets"), { recursive: true });
// The app's own scripts, loaded by the pages that use them.
cpSync(join(root, "assets", "js"), join(root, "portfolio", "static", "app"), {
  recursive: true,
});
console.log(`built ${join("portfolio", "static", "nhsuk")}`);
