// Drawing of the review page: the image at a size that fits, its regions, the header and the region list.

const SVG_NS = "http://www.w3.org/2000/svg";
const stage = document.getElementById("stage");

function el(name, attributes = {}) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

// A box with its corners in order, on whole pixels.
export function ordered([xa, ya, xb, yb]) {
  return [Math.min(xa, xb), Math.min(ya, yb), Math.max(xa, xb), Math.max(ya, yb)].map(Math.round);
}

// Screen pixels per image pixel.
export function zoom() {
  return stage.getScreenCTM().a;
}

// Draw ui = {view, selected, drag}; a click on a region in the list calls onSelect(id).
export function draw(ui, onSelect) {
  const { view, selected, drag } = ui;
  const { width, height, image_path: path, status, regions } = view.image;
  document.getElementById("position").textContent = `Image ${view.index + 1} / ${view.count}`;
  document.getElementById("name").textContent = path.split(/[\\/]/).pop();
  document.getElementById("name").title = path;
  document.getElementById("image-status").textContent = status;
  document.getElementById("left").textContent = `${view.left} image${view.left === 1 ? "" : "s"} left`;
  const roomX = window.innerWidth - 310; // the region list takes the rest
  const roomY = window.innerHeight - stage.getBoundingClientRect().top - 40; // measured once the header is filled
  const fit = Math.max(Math.min(roomX / width, roomY / height), 0.1);
  stage.setAttribute("viewBox", `0 0 ${width} ${height}`);
  stage.style.width = `${width * fit}px`;
  stage.style.height = `${height * fit}px`;
  const picture = document.getElementById("picture");
  picture.setAttribute("width", width);
  picture.setAttribute("height", height);
  const layer = document.getElementById("regions");
  layer.replaceChildren(...regions.map((r) => drawRegion(r, r.id === selected, drag && drag.id === r.id ? drag : null)));
  if (drag && drag.kind === "draw") {
    const [x0, y0, x1, y1] = ordered(drag.box);
    layer.append(el("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: "drawing" }));
  }
  const items = regions.map((r) => {
    const item = document.createElement("li");
    const score = r.score === null ? "" : ` ${r.score.toFixed(3)}`;
    item.textContent = `${r.class_name}${score}: ${r.status}${r.origin === "user" ? " (drawn)" : ""}`;
    item.classList.toggle("selected", r.id === selected);
    item.addEventListener("click", () => onSelect(r.id));
    return item;
  });
  document.getElementById("region-list").replaceChildren(...items);
}

function drawRegion(r, isSelected, drag) {
  const group = el("g", { class: `region ${r.status} ${r.origin}${isSelected ? " selected" : ""}` });
  if (r.polygon.length) {
    const d = [r.polygon, ...r.holes].map((ring) => `M${ring.map(([x, y]) => `${x},${y}`).join("L")}Z`).join("");
    group.append(el("path", { d, class: "mask" }));
  }
  const [x0, y0, x1, y1] = drag ? ordered(drag.box) : r.box;
  const attributes = { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: "box" };
  const data = { "data-testid": "region-box", "data-id": r.id, "data-status": r.status, "data-selected": isSelected };
  group.append(el("rect", { ...attributes, ...data }));
  const unit = 1 / zoom();
  if (r.score !== null) {
    const text = el("text", { x: x0, y: y0 > 14 * unit ? y0 - 3 * unit : y1 + 12 * unit, class: "score" });
    text.setAttribute("font-size", 11 * unit);
    text.textContent = r.score.toFixed(3);
    group.append(text);
  }
  if (isSelected) {
    const side = 6 * unit;
    for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) {
      group.append(el("rect", { x: x - side / 2, y: y - side / 2, width: side, height: side, class: "handle" }));
    }
  }
  return group;
}
