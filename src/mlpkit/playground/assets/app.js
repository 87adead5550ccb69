// mlpkit playground: the page draws the latest frame the server streams and sends commands.
// Training runs in the server's own thread; nothing here computes the network.
"use strict";

const TOKEN = document.querySelector('meta[name="token"]').content;
const COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];
const NEG = [245, 147, 34], POS = [8, 119, 189];
const MAX_DRAWN_NEURONS = 64, MAX_EDGES = 4000, CELL = 40, COLUMN = 110, ROW = 50;
const $ = (id) => document.getElementById(id);
const pg = window.pg = {settings: null, static: null, latest: null, frames: 0, curve: [],
                        pending: null, drawn: -1, latencies: [], explain: null, errors: []};

function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
const CLASS_RGB = COLOURS.map(rgb);

// ---- talking to the server
async function command(op, extra = {}) {
  const response = await fetch("/api/command", {method: "POST",
    headers: {"Content-Type": "application/json", "X-Token": TOKEN},
    body: JSON.stringify({op, ...extra})});
  const answer = await response.json();
  if (!response.ok) { showError(answer.error); pg.errors.push(answer.error); return null; }
  showError(null);
  return answer;
}
function showError(text) { $("error").hidden = !text; $("error").textContent = text || ""; }

async function change(values) {
  const answer = await command("set", {values});
  if (!answer) { showSettings(); return null; }
  pg.settings = answer.settings;
  showSettings();
  saveToUrl();
  return answer;
}

// ---- settings <-> controls <-> URL
const DEFAULTS = {};
function showSettings() {
  const s = pg.settings;
  document.querySelectorAll("[data-setting]").forEach((el) => {
    const value = s[el.dataset.setting];
    if (el.type === "checkbox") el.checked = !!value;
    else if (el.tagName === "SELECT" && el.dataset.setting.endsWith("_column")) {
      if (value !== null) el.value = value;
    } else el.value = value === null ? "" : value;
  });
  $("hide").value = (s.hide || []).join(",");
  document.querySelectorAll("[data-control]").forEach((el) => {
    el.hidden = (s.hide || []).includes(el.dataset.control);
  });
  document.querySelectorAll(".csv-only").forEach((el) => { el.hidden = s.dataset !== "csv"; });
  const buttons = $("layer-buttons");
  buttons.textContent = "";
  s.hidden.forEach((width, k) => {
    const span = document.createElement("span");
    span.className = "layer";
    for (const [text, delta] of [["−", -1], ["+", 1]]) {
      const b = document.createElement("button");
      b.textContent = text;
      b.onclick = () => {
        const hidden = [...pg.settings.hidden];
        hidden[k] = Math.max(1, hidden[k] + delta);
        change({hidden});
      };
      span.append(b);
      if (delta < 0) span.append(` ${width} `);
    }
    const own = document.createElement("select");       // this layer's activation
    own.title = "this layer's activation";
    for (const name of ["", "tanh", "relu", "sigmoid", "identity"]) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name || "(as set)";
      own.append(option);
    }
    own.value = s.activations ? s.activations[k] : "";
    own.onchange = () => {
      const chosen = s.hidden.map((_, j) => (s.activations ? s.activations[j] : s.activation));
      chosen[k] = own.value || s.activation;
      change({activations: chosen.every((a) => a === s.activation) ? null : chosen});
    };
    span.append(own);
    buttons.append(span);
  });
}
function readControl(el) {
  const name = el.dataset.setting;
  if (el.type === "checkbox") return el.checked;
  if (el.value === "") return null;
  if (el.type === "number") return ["points", "classes", "data_seed", "batch_size", "seed",
    "epochs", "patience"].includes(name) ? parseInt(el.value, 10) : parseFloat(el.value);
  return el.value;
}
function saveToUrl() {
  const differs = {};
  for (const [k, v] of Object.entries(pg.settings)) {
    if (JSON.stringify(v) !== JSON.stringify(DEFAULTS[k])) differs[k] = v;
  }
  const hash = Object.keys(differs).length ? "#" + encodeURIComponent(JSON.stringify(differs)) : "";
  history.replaceState(null, "", location.pathname + location.search + hash);
  $("share").href = location.href;
}

// a table's two drawn columns: any of the network's inputs
function columnChoices() {
  const [x, y] = pg.static.axes;
  for (const [name, chosen] of [["x_column", x], ["y_column", y]]) {
    const select = document.querySelector(`[data-setting=${name}]`);
    select.textContent = "";
    for (const input of pg.static.columns) {
      const option = document.createElement("option");
      option.textContent = input;
      select.append(option);
    }
    select.value = chosen;
  }
}

// ---- the frame stream
function listen() {
  const events = new EventSource("/api/events?token=" + encodeURIComponent(TOKEN));
  events.addEventListener("static", (e) => {
    pg.static = JSON.parse(e.data);
    pg.curve = [];
    columnChoices();
    buildNetwork();
  });
  events.addEventListener("frame", (e) => {
    const frame = JSON.parse(e.data);
    if (pg.static && frame.build === pg.static.build && frame.curve) {
      pg.curve.length = frame.curve_from;
      pg.curve.push(...frame.curve);
    }
    pg.latest = frame;
    requestAnimationFrame(draw);
  });
}

function draw() {
  const frame = pg.latest;
  if (!frame || frame.version === pg.drawn || !pg.static) return;
  pg.drawn = frame.version;
  pg.frames += 1;
  if (pg.pending && frame.batches !== pg.pending.batches) {
    pg.latencies.push(performance.now() - pg.pending.at);
    pg.pending = null;
  }
  const last = pg.curve[pg.curve.length - 1];
  const score = pg.static.task === "classification" ? "accuracy" : "R²";
  $("status").textContent = `epoch ${frame.epoch} · batches ${frame.batches}` +
    (last ? ` · train loss ${fmt(last.train_loss)} · test loss ${fmt(last.test_loss)}` +
            ` · test ${score} ${fmt(last.test_score)}` : "") +
    (frame.finished ? ` · stopped: ${frame.finished}` : frame.running ? " · training" : " · paused");
  $("play").textContent = frame.running ? "pause" : "play";
  showError(frame.error);
  drawBanner(frame.findings || []);
  if (frame.surface) drawSurface(frame);
  if (frame.neurons) drawNeurons(frame);
  if (frame.weights) drawEdges(frame);
  drawCurves();
  drawConfusion(frame.confusion);
}
const fmt = (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(4));

// ---- pictures
function picture(canvas, bytes, colour) {
  const grid = pg.static.grid, ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const c = colour(bytes, i);
    image.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  const small = new OffscreenCanvas(grid, grid);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = !pg.settings.discretize;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}
function decode(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }
function diverging(bytes, i) {
  const t = (bytes[i] - 127.5) / 127.5, end = t < 0 ? NEG : POS, a = Math.abs(t);
  return end.map((v) => 255 + (v - 255) * a);
}
function drawSurface(frame) {
  const bytes = decode(frame.surface), k = pg.static.classes.length;
  if (pg.static.task === "classification") {
    picture($("surface"), bytes, (b, i) => {
      let best = 0, out = [0, 0, 0];
      for (let c = 0; c < k; c++) {
        const p = b[i * k + c] / 255;
        if (p > b[i * k + best] / 255) best = c;
        out = out.map((v, j) => v + p * CLASS_RGB[c % 10][j]);
      }
      if (pg.settings.discretize) return CLASS_RGB[best % 10].map((v) => 255 + (v - 255) * 0.5);
      const confidence = Math.max(0, (b[i * k + best] / 255 - 1 / k) / (1 - 1 / k));
      const a = 0.2 + 0.6 * confidence;
      return out.map((v) => 255 + (v - 255) * a);
    });
  } else picture($("surface"), bytes, diverging);
  drawPoints();
}
function toPixel(x, y) {
  const [[x0, x1], [y0, y1]] = pg.static.ranges, c = $("surface");
  return [(x - x0) / (x1 - x0) * c.width, (1 - (y - y0) / (y1 - y0)) * c.height];
}
function toData(px, py) {
  const [[x0, x1], [y0, y1]] = pg.static.ranges, c = $("surface");
  return [x0 + px / c.width * (x1 - x0), y0 + (1 - py / c.height) * (y1 - y0)];
}
function pointColour(label) {
  if (pg.static.task === "classification") return COLOURS[label % 10];
  const [low, high] = pg.static.target_range, t = 2 * (label - low) / Math.max(high - low, 1e-9) - 1;
  const c = diverging([127.5 + 127.5 * t], 0).map(Math.round);
  return `rgb(${c[0] * 0.8},${c[1] * 0.8},${c[2] * 0.8})`;
}
function drawPoints() {
  const ctx = $("surface").getContext("2d");
  const sets = [["train", "#ffffff"]].concat(pg.settings.show_test ? [["test", "#000000"]] : []);
  for (const [name, edge] of sets) {
    for (const [x, y, label] of pg.static[name]) {
      const [px, py] = toPixel(x, y);
      ctx.beginPath();
      ctx.arc(px, py, 3, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(label);
      ctx.fill();
      ctx.strokeStyle = edge;
      ctx.stroke();
    }
  }
}

// ---- the network: a column per layer, a picture per neuron, a line per weight
function buildNetwork() {
  const box = $("network"), s = pg.static;
  box.querySelectorAll("canvas, .label").forEach((el) => el.remove());
  const columns = [s.inputs.length, ...s.hidden.map((w) => Math.min(w, MAX_DRAWN_NEURONS))];
  pg.cells = columns.map((n, layer) => Array.from({length: n}, (_, j) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = s.grid;
    canvas.className = "neuron";
    canvas.style.left = `${layer * COLUMN}px`;
    canvas.style.top = `${j * ROW + 20}px`;
    canvas.title = layer === 0 ? s.inputs[j] : `layer ${layer}, neuron ${j + 1}`;
    box.append(canvas);
    return canvas;
  }));
  columns.forEach((_, layer) => {
    const label = document.createElement("div");
    label.className = "label";
    label.style.left = `${layer * COLUMN}px`;
    label.textContent = layer === 0 ? "inputs" : `${s.hidden[layer - 1]} ${s.activations[layer - 1]}`;
    box.append(label);
  });
  const height = Math.max(...columns) * ROW + 30, width = columns.length * COLUMN;
  box.style.height = `${height}px`;
  box.style.width = `${width}px`;
  const svg = $("edges");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.textContent = "";
  pg.edges = [];
  const drawable = columns.slice(1).reduce((sum, n, l) => sum + n * columns[l], 0) <= MAX_EDGES;
  for (let l = 1; drawable && l < columns.length; l++) {
    for (let j = 0; j < columns[l]; j++) {
      for (let i = 0; i < columns[l - 1]; i++) {
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", (l - 1) * COLUMN + CELL);
        line.setAttribute("y1", i * ROW + 20 + CELL / 2);
        line.setAttribute("x2", l * COLUMN);
        line.setAttribute("y2", j * ROW + 20 + CELL / 2);
        line.append(document.createElementNS("http://www.w3.org/2000/svg", "title"));
        svg.append(line);
        pg.edges.push([l - 1, j, i, line]);
      }
    }
  }
  const cost = s.parameters > 100000 || s.hidden.some((w) => w > MAX_DRAWN_NEURONS);
  $("cost").textContent = `${s.parameters} parameters` + (cost ? " — large: training is " +
    `slower, the picture shows at most ${MAX_DRAWN_NEURONS} neurons a layer` : "");
  s.input_pictures.forEach((text, j) => { if (pg.cells[0][j]) picture(pg.cells[0][j], decode(text), diverging); });
}
function drawNeurons(frame) {
  frame.neurons.forEach((layer, l) => layer.slice(0, MAX_DRAWN_NEURONS).forEach((text, j) => {
    const canvas = pg.cells[l + 1] && pg.cells[l + 1][j];
    if (canvas) picture(canvas, decode(text), diverging);
  }));
}
function drawEdges(frame) {
  let largest = 1e-9;
  for (const [l, j, i] of pg.edges) largest = Math.max(largest, Math.abs(frame.weights[l][j][i]));
  for (const [l, j, i, line] of pg.edges) {
    const w = frame.weights[l][j][i];
    line.setAttribute("stroke", w < 0 ? COLOURS[0] : COLOURS[1]);
    line.setAttribute("stroke-width", (0.5 + 4 * Math.abs(w) / largest).toFixed(2));
    line.firstChild.textContent = `weight ${w.toFixed(4)}`;
  }
}

// ---- curves, confusion, banner
function drawCurves() {
  const score = pg.static.task === "classification" ? "accuracy" : "R²";
  $("score-name").textContent = score[0].toUpperCase() + score.slice(1);
  plot($("loss-curve"), ["train_loss", "test_loss"]);
  plot($("score-curve"), ["train_score", "test_score"]);
}
function plot(canvas, keys) {
  const ctx = canvas.getContext("2d"), curve = pg.curve;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const values = curve.flatMap((p) => keys.map((k) => p[k])).filter((v) => v !== null && isFinite(v));
  if (!values.length) return;
  let low = Math.min(...values), high = Math.max(...values);
  if (high - low < 1e-9) { high += 0.5; low -= 0.5; }
  keys.forEach((key, n) => {
    ctx.beginPath();
    ctx.setLineDash(n ? [4, 3] : []);
    ctx.strokeStyle = n ? "#555" : "#111";
    curve.forEach((p, e) => {
      if (p[key] === null) return;
      const x = curve.length > 1 ? e / (curve.length - 1) * canvas.width : 0;
      const y = canvas.height - 4 - (p[key] - low) / (high - low) * (canvas.height - 8);
      e ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  });
  ctx.setLineDash([]);
  ctx.fillStyle = "#333";
  ctx.fillText(`${high.toPrecision(3)}`, 2, 10);
  ctx.fillText(`${low.toPrecision(3)}  (solid: train, dashed: test)`, 2, canvas.height - 2);
}
function hoverCurve(event) {
  const canvas = event.target, curve = pg.curve;
  if (!curve.length) return;
  const e = Math.round(event.offsetX / canvas.width * (curve.length - 1));
  const p = curve[Math.max(0, Math.min(curve.length - 1, e))];
  $("curve-hover").textContent = `epoch ${p.epoch}: train loss ${fmt(p.train_loss)}, test loss ` +
    `${fmt(p.test_loss)}, train ${fmt(p.train_score)}, test ${fmt(p.test_score)}, lr ${p.lr}`;
}
function drawConfusion(matrix) {
  $("confusion-box").hidden = !matrix;
  if (!matrix) return;
  const table = $("confusion"), names = pg.static.classes;
  table.textContent = "";
  const head = table.insertRow();
  head.insertCell().textContent = "true \\ predicted";
  names.forEach((n) => { head.insertCell().textContent = n; });
  matrix.forEach((row, i) => {
    const tr = table.insertRow();
    tr.insertCell().textContent = names[i];
    row.forEach((v) => { tr.insertCell().textContent = v; });
  });
}
function drawBanner(findings) {
  const warning = findings.find((f) => f.severity === "warning");
  $("banner").hidden = !warning;
  if (!warning) return;
  $("banner-text").textContent = `${warning.title}. ${warning.message}`;
  $("banner-fix").hidden = !warning.fix;
  $("banner-fix").textContent = warning.fix ? "apply the fix: " +
    Object.entries(warning.fix).map(([k, v]) => `${k} = ${v}`).join(", ") : "";
  $("banner-fix").onclick = () => change(warning.fix);
}

// ---- tools
function show(title, text) {
  const box = $("tool-output");
  box.textContent = "";
  const h = document.createElement("h3");
  h.textContent = title;
  const pre = document.createElement("pre");
  pre.textContent = text;
  box.append(h, pre);
}
async function explainPoint(index) {
  if (pg.latest && pg.latest.running) await command("pause");
  const answer = await command("explain", {point: index});
  if (!answer) return;
  pg.explain = answer;
  const lines = answer.quantities.map((q) => `${q.name} = ${q.formula}   [${q.shape.join("×") || "scalar"}]\n` +
    `    ${JSON.stringify(q.value, (k, v) => (typeof v === "number" ? Number(v.toFixed(4)) : v))}`);
  show(`One SGD step on point ${index} (class ${answer.label}), lr ${answer.lr}`,
       `the same numbers as:\n  ${answer.command}\n(RUN: an export of this state)\n\n${lines.join("\n")}`);
}
function nearest(x, y) {
  let best = null, distance = Infinity;
  const n = pg.static.train.length;
  [...pg.static.train, ...pg.static.test].forEach(([px, py, , origin, row], k) => {
    const [ax, ay] = toPixel(px, py), [bx, by] = toPixel(x, y), d = (ax - bx) ** 2 + (ay - by) ** 2;
    if (d < distance) { distance = d; best = {train: k < n, origin, row}; }
  });
  return distance < 15 ** 2 ? best : null;
}

function wire() {
  document.querySelectorAll("[data-setting]").forEach((el) => {
    el.addEventListener("change", () => change({[el.dataset.setting]: readControl(el)}));
  });
  $("hide").addEventListener("change", () => change({hide: $("hide").value.split(",")
    .map((s) => s.trim()).filter(Boolean)}));
  $("play").onclick = () => command(pg.latest && pg.latest.running ? "pause" : "play");
  const step = (op) => () => {
    pg.pending = {at: performance.now(), batches: pg.latest ? pg.latest.batches : 0};
    command(op);
  };
  $("step-batch").onclick = step("step_batch");
  $("step-epoch").onclick = step("step_epoch");
  $("reset").onclick = () => command("reset");
  $("new-seed").onclick = () => command("new_seed").then((a) => {
    if (a) { pg.settings.seed = a.seed; showSettings(); saveToUrl(); }
  });
  const perLayer = (n) => (pg.settings.activations ?
    {activations: [...pg.settings.activations, pg.settings.activation].slice(0, n)} : {});
  $("add-layer").onclick = () => change({hidden: [...pg.settings.hidden, 4],
                                         ...perLayer(pg.settings.hidden.length + 1)});
  $("remove-layer").onclick = () => change({hidden: pg.settings.hidden.slice(0, -1),
                                            ...perLayer(pg.settings.hidden.length - 1)});
  $("undo-edits").onclick = () => change({added: [], erased: []});
  $("explain").onclick = () => explainPoint(0);
  $("gradcheck").onclick = async () => {
    const a = await command("gradcheck");
    if (a) show(`Gradient check on ${a.rows} training rows: ${a.agrees ? "backprop agrees" : "GRADIENTS DISAGREE"}`,
         Object.entries(a.errors).map(([k, v]) => `${k}: relative error ${v.toExponential(2)}`).join("\n"));
  };
  $("export").onclick = async () => {
    const a = await command("export");
    if (a) show("Exported", `${a.folder}\ntrain it again: ${a.replay}\n${a.notes.join("\n")}`);
  };
  $("code").onclick = async () => {
    const a = await command("code");
    if (a) show("The same network elsewhere", `${a.command}\n\n${a.torch}`);
  };
  $("surface").addEventListener("click", (event) => {
    const mode = $("click-mode").value;
    if (mode === "none" || !pg.static) return;
    const [x, y] = toData(event.offsetX, event.offsetY);
    if (mode === "add") {
      change({added: [...pg.settings.added, [x, y, parseFloat($("click-label").value) || 0]]});
      return;
    }
    const hit = nearest(x, y);
    if (!hit) return;
    if (mode === "explain" && hit.train) explainPoint(hit.row);
    if (mode === "erase" && hit.origin < 0) {
      change({added: pg.settings.added.filter((_, j) => j !== -1 - hit.origin)});
    } else if (mode === "erase") change({erased: [...pg.settings.erased, hit.origin]});
  });
  ["loss-curve", "score-curve"].forEach((id) => $(id).addEventListener("mousemove", hoverCurve));
}

async function start() {
  const response = await fetch("/api/settings?token=" + encodeURIComponent(TOKEN));
  pg.settings = await response.json();
  Object.assign(DEFAULTS, pg.settings);
  showSettings();
  wire();
  if (location.hash.length > 1) {
      try { await change(JSON.parse(decodeURIComponent(location.hash.slice(1)))); } catch (e) {
      pg.errors.push(String(e));
    }
  }
  listen();
}
start();
