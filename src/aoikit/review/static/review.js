// The review page: one image and its regions; every action goes to the server, which saves it at once.

import { draw, ordered, zoom } from "./draw.js";

const GRAB_PX = 7; // how near (in screen pixels) the pointer must be to a box edge to grab it
const MIN_DRAWN = 2; // smallest side, in image pixels, of a box drawn on empty space
const KEYS = { a: "acceptImage", r: "rejectRegion", d: "deleteRegion", n: "nextImage", p: "prevImage", x: "rejectImage" };

const stage = document.getElementById("stage");
const ui = {
  view: null, // the server's last answer: {count, left, current, statuses, index, image}
  selected: null, // id of the selected region
  drag: null, // {kind: "resize" | "draw", id, edges, start, origin, box} while the mouse button is down
};
let queue = Promise.resolve();
let queued = 0;

async function api(method, url, body) {
  const options = { method, headers: { "X-Aoikit-Review": "1" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

// Run tasks one after another, in the order asked; body[data-busy] tells when all are done.
// After a failure the image is fetched again, so the page shows what the server has saved.
function run(task) {
  queued += 1;
  document.body.dataset.busy = "true";
  queue = queue
    .then(task)
    .catch(async (error) => {
      say(error.message, true);
      if (ui.view) setView(await api("GET", `/api/images/${ui.view.index}`).catch(() => ui.view));
    })
    .finally(() => {
      queued -= 1;
      if (queued === 0) document.body.dataset.busy = "false";
    });
}

function say(text, error = false) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.classList.toggle("error", error);
}

function regions() {
  return ui.view ? ui.view.image.regions : [];
}

function selectedRegion() {
  return regions().find((r) => r.id === ui.selected) || null;
}

function setView(data) {
  const newImage = !ui.view || ui.view.index !== data.index;
  ui.view = data;
  if (newImage) document.getElementById("picture").setAttribute("href", `/api/images/${data.index}/pixels`);
  if (newImage || !selectedRegion()) ui.selected = regions().length ? regions()[0].id : null;
  render();
}

async function show(index) {
  setView(await api("PUT", "/api/current", { index }));
}

function regionUrl(id) {
  return `/api/images/${ui.view.index}/regions/${id}`;
}

function render() {
  draw(ui, select);
}

function select(id) {
  ui.selected = id;
  render();
}

function toImage(event) {
  const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(stage.getScreenCTM().inverse());
  return [point.x, point.y];
}

// The box edges near the pointer: the selected region's first, rejected regions never.
function grab([x, y]) {
  const reach = GRAB_PX / zoom();
  const live = regions().filter((r) => r.status !== "rejected");
  live.sort((a, b) => (b.id === ui.selected) - (a.id === ui.selected));
  for (const r of live) {
    const [x0, y0, x1, y1] = r.box;
    if (x < x0 - reach || x > x1 + reach || y < y0 - reach || y > y1 + reach) continue;
    const near = (a, b) => Math.abs(a - b) <= reach;
    const edges = { left: near(x, x0), right: near(x, x1), top: near(y, y0), bottom: near(y, y1) };
    if (edges.left && edges.right) edges[Math.abs(x - x0) < Math.abs(x - x1) ? "right" : "left"] = false;
    if (edges.top && edges.bottom) edges[Math.abs(y - y0) < Math.abs(y - y1) ? "bottom" : "top"] = false;
    if (edges.left || edges.right || edges.top || edges.bottom) return { region: r, edges };
  }
  return null;
}

// The smallest box holding the point.
function regionAt([x, y]) {
  const inside = regions().filter(({ box: [x0, y0, x1, y1] }) => x >= x0 && x <= x1 && y >= y0 && y <= y1);
  const area = ({ box: [x0, y0, x1, y1] }) => (x1 - x0) * (y1 - y0);
  return inside.sort((a, b) => area(a) - area(b))[0] || null;
}

function cursor(hit) {
  if (!hit) return "crosshair";
  const { left, right, top, bottom } = hit.edges;
  if ((left || right) && (top || bottom)) return left === top ? "nwse-resize" : "nesw-resize";
  return left || right ? "ew-resize" : "ns-resize";
}

stage.addEventListener("mousedown", (event) => {
  if (!ui.view || event.button !== 0) return;
  event.preventDefault();
  const point = toImage(event);
  const hit = grab(point);
  if (hit) {
    const box = hit.region.box;
    ui.drag = { kind: "resize", id: hit.region.id, edges: hit.edges, start: point, origin: box, box: [...box] };
    select(hit.region.id);
  } else if (regionAt(point)) {
    select(regionAt(point).id);
  } else {
    ui.drag = { kind: "draw", start: point, box: [...point, ...point] };
  }
});

window.addEventListener("mousemove", (event) => {
  if (!ui.view) return;
  const [x, y] = toImage(event);
  if (!ui.drag) {
    stage.style.cursor = cursor(grab([x, y]));
    return;
  }
  if (ui.drag.kind === "draw") {
    ui.drag.box = [ui.drag.start[0], ui.drag.start[1], x, y];
  } else {
    const [dx, dy] = [Math.round(x - ui.drag.start[0]), Math.round(y - ui.drag.start[1])];
    const { left, right, top, bottom } = ui.drag.edges;
    const [x0, y0, x1, y1] = ui.drag.origin;
    ui.drag.box = [x0 + (left ? dx : 0), y0 + (top ? dy : 0), x1 + (right ? dx : 0), y1 + (bottom ? dy : 0)];
  }
  render();
});

window.addEventListener("mouseup", () => {
  if (!ui.drag) return;
  const done = ui.drag;
  const box = ordered(done.box);
  ui.drag = null;
  if (done.kind === "resize" && box.join() !== done.origin.join()) {
    regions().find((r) => r.id === done.id).box = box; // shown until the server answers
    run(async () => setView(await api("PATCH", regionUrl(done.id), { box })));
  } else if (done.kind === "draw" && box[2] - box[0] >= MIN_DRAWN && box[3] - box[1] >= MIN_DRAWN) {
    run(async () => {
      const data = await api("POST", `/api/images/${ui.view.index}/regions`, { box });
      ui.selected = data.created;
      setView(data);
    });
  }
  render();
});

const actions = {
  acceptImage: async () => {
    setView(await api("POST", `/api/images/${ui.view.index}/accept`));
    if (ui.view.index + 1 < ui.view.count) await show(ui.view.index + 1);
  },
  rejectRegion: async () => {
    const r = selectedRegion();
    if (r) setView(await api("PATCH", regionUrl(r.id), { status: r.status === "rejected" ? "pending" : "rejected" }));
  },
  deleteRegion: async () => {
    const r = selectedRegion();
    if (r) setView(await api("DELETE", regionUrl(r.id)));
  },
  nextRegion: async (step = 1) => {
    const ids = regions().map((r) => r.id);
    if (ids.length) select(ids[(ids.indexOf(ui.selected) + step + ids.length) % ids.length]);
  },
  nextImage: async () => show(Math.min(ui.view.index + 1, ui.view.count - 1)),
  prevImage: async () => show(Math.max(ui.view.index - 1, 0)),
  rejectImage: async () => {
    const status = ui.view.image.status === "rejected" ? "pending" : "rejected";
    setView(await api("PUT", `/api/images/${ui.view.index}/status`, { status }));
  },
  exportLabels: async () => {
    const out = await api("POST", "/api/export");
    say(`exported ${out.images} accepted image(s) to ${out.out_dir}`);
  },
};

document.addEventListener("keydown", (event) => {
  if (!ui.view || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Tab") {
    event.preventDefault();
    run(() => actions.nextRegion(event.shiftKey ? -1 : 1));
  } else if (KEYS[event.key]) {
    event.preventDefault();
    run(actions[KEYS[event.key]]);
  }
});

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => ui.view && run(() => actions[button.dataset.action]()));
}
window.addEventListener("resize", () => ui.view && render());

run(async () => {
  const overview = await api("GET", "/api/overview");
  if (overview.count === 0) say("there are no images to review");
  else await show(overview.current);
});
