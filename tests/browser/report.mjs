// Renders a bundle's report.html in headless Chromium (Debian's, driven by playwright-core)
// and checks what a reader sees: the summary's figures, the diagram, and that every link of
// the table of contents lands on a heading. Keeps a screenshot and a PDF (Chromium's print)
// beside the page, as the test's artefacts.
//
//   node tests/browser/report.mjs BUNDLE_DIR
import { chromium } from "playwright-core";
import path from "node:path";

const bundle = process.argv[2];
if (!bundle) {
  console.error("usage: node report.mjs BUNDLE_DIR");
  process.exit(2);
}
const page_path = path.resolve(bundle, "report.html");
const browser = await chromium.launch({
  executablePath: process.env.WARD_CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const failures = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto("file://" + page_path);
  const text = await page.innerText("body");
  for (const expected of (process.env.WARD_REPORT_EXPECT || "").split("\n").filter(Boolean)) {
    if (!text.includes(expected)) failures.push(`the page does not show: ${expected}`);
  }
  // The first screen says where the policy stands.
  const first = await page.locator("h2").first().innerText();
  if (first !== "At a glance") failures.push(`the first section is "${first}"`);
  // The diagram is drawn: an SVG with a box per segment, visible.
  const segments = await page.locator("figure.diagram svg g.segment").count();
  if (segments === 0) failures.push("the diagram has no segment");
  const box = await page.locator("figure.diagram svg").boundingBox();
  if (!box || box.width < 200 || box.height < 100) failures.push(`the diagram is not visible: ${JSON.stringify(box)}`);
  // Every link of the contents lands on a heading of the page.
  const links = await page.locator("nav a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  if (links.length < 5) failures.push(`only ${links.length} links in the contents`);
  for (const href of links) {
    const target = await page.locator(href).count();
    if (target !== 1) failures.push(`the link ${href} lands nowhere`);
  }
  await page.screenshot({ path: path.resolve(bundle, "report.png"), fullPage: true });
  await page.pdf({ path: path.resolve(bundle, "report.pdf"), format: "A4", printBackground: true });
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("report.html renders: summary, diagram and contents checked; report.png and report.pdf written");
