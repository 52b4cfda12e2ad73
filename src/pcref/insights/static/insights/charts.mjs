// Progressive enhancement of charts (ADR 0008): each chart's static SVG is replaced by an
// interactive Vega view of the same spec, with tooltips. Without this script, or if it fails,
// the static SVG, its summary and its data table stay. No eval: Vega runs its expressions
// through vega-interpreter (parse with ast: true), as a Content-Security-Policy requires.
import "../vega/vega.min.js"; // a UMD bundle: defines globalThis.vega
import { expressionInterpreter } from "./vendor/vega-interpreter.mjs";

const { View, parse } = globalThis.vega;

async function enhance(source) {
  const figure = document.getElementById(source.dataset.pcrefChart);
  const still = figure && figure.querySelector(".pcref-chart__static");
  if (!still) return;
  const container = document.createElement("div");
  container.className = "pcref-chart__interactive";
  container.hidden = true;
  still.after(container);
  const spec = JSON.parse(source.textContent);
  const view = new View(parse(spec, null, { ast: true }), {
    expr: expressionInterpreter,
    renderer: "svg",
    container,
    hover: true,
  });
  await view.runAsync();
  const svg = container.querySelector("svg");
  if (svg) {
    // Fit the column, as the static SVG does (its viewBox keeps the proportions).
    svg.setAttribute("width", "100%");
    svg.removeAttribute("height");
  }
  still.remove();
  container.hidden = false;
  figure.dataset.pcrefInteractive = "true";
}

for (const source of document.querySelectorAll("script[data-pcref-chart]")) {
  enhance(source).catch((error) => {
    // The static chart is still there; say why in the console for whoever looks.
    console.error(`Chart ${source.dataset.pcrefChart} stays static:`, error);
  });
}
