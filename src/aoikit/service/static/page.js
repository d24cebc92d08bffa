// The quality engineer's page: open alerts with their frames, the anomaly rate, the latest inspections.
// Everything is read from the JSON API every few seconds; text is set with textContent, never as HTML.
"use strict";

const REFRESH_MS = 5000;

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}, text = "") {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function when(iso) {
  return new Date(iso).toLocaleString();
}

function showModel(health) {
  const m = health.model;
  document.getElementById("model").textContent = `model ${m.name} ${m.version} · backend ${m.backend}`;
}

function showAlerts(alerts) {
  const box = document.getElementById("alerts");
  if (box.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return; // being typed in
  box.replaceChildren();
  document.getElementById("alert-count").textContent = `(${alerts.length})`;
  if (!alerts.length) box.append(el("p", { class: "empty" }, "No open alerts."));
  for (const alert of alerts) {
    const card = el("div", { class: "alert", "data-testid": "alert", "data-kind": alert.kind });
    card.append(el("div", {}, alert.message));
    card.append(el("div", { class: "meta" }, `${alert.kind} · ${when(alert.created_at)} · webhook ${alert.delivery}`));
    card.append(acknowledgement(alert));
    const frames = el("div", { class: "frames" });
    for (const frame of alert.frames.slice(0, 12)) {
      const link = el("a", { href: frame.links.self, target: "_blank" });
      link.append(el("img", { src: frame.links.overlay, alt: `frame ${frame.id}`, "data-testid": "alert-frame" }));
      frames.append(link);
    }
    card.append(frames);
    box.append(card);
  }
}

function acknowledgement(alert) {
  // A form to acknowledge the alert and name the kind it shows; the acknowledgement stored so far beside it.
  const form = el("form", { class: "ack", "data-testid": "ack-form" });
  const kind = el("input", { name: "kind", placeholder: "kind (e.g. scratch)", pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]*",
                             maxlength: "100", "data-testid": "ack-kind" });
  if (alert.acknowledged_kind) kind.value = alert.acknowledged_kind;
  form.append(kind, el("button", { type: "submit", "data-testid": "ack-button" }, "Acknowledge"));
  const status = alert.acknowledged_at
    ? `acknowledged ${when(alert.acknowledged_at)}${alert.acknowledged_kind ? " as " + alert.acknowledged_kind : ""}`
    : "not acknowledged";
  form.append(el("span", { class: "meta", "data-testid": "ack-status" }, status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = kind.value.trim() ? { kind: kind.value.trim() } : {};
    const response = await fetch(`/v1/alerts/${alert.id}/ack`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!response.ok) form.lastChild.textContent = `not stored (${response.status})`;
    else refresh();
  });
  return form;
}

function showRate(rate) {
  const chart = document.getElementById("rate");
  chart.replaceChildren();
  const width = 960, height = 180, top = 10, bottom = 20;
  const rates = rate.buckets.map((b) => (b.frames ? b.anomalous / b.frames : 0));
  const scale = Math.max(0.05, rate.expected_rate * 2, ...rates);
  const step = width / rate.buckets.length;
  const y = (r) => height - bottom - (r / scale) * (height - top - bottom);
  rate.buckets.forEach((bucket, i) => {
    if (!bucket.frames) return;
    const r = rates[i];
    const bar = svg("rect", {
      class: r > rate.expected_rate * 2 ? "bar high" : "bar", x: i * step + 1, y: y(r),
      width: Math.max(step - 2, 1), height: height - bottom - y(r), "data-testid": "rate-bar",
    });
    bar.append(svg("title", {}, `${bucket.anomalous} of ${bucket.frames} anomalous from ${when(bucket.start)}`));
    chart.append(bar);
  });
  const ey = y(rate.expected_rate);
  chart.append(svg("line", { class: "expected", x1: 0, x2: width, y1: ey, y2: ey }));
  chart.append(svg("text", { x: 4, y: ey - 4 }, `expected ${(rate.expected_rate * 100).toFixed(1)}%`));
  chart.append(svg("text", { x: 4, y: height - 5 }, when(rate.buckets[0].start)));
  chart.append(svg("text", { x: width - 4, y: height - 5, "text-anchor": "end" }, "now"));
  chart.append(svg("text", { x: 4, y: top + 10 }, `${(scale * 100).toFixed(0)}%`));
  document.getElementById("expected").textContent =
    `(bars: share of anomalous frames; dashed: ${(rate.expected_rate * 100).toFixed(1)}% expected on good parts)`;
}

function showInspections(page) {
  const grid = document.getElementById("inspections");
  grid.replaceChildren();
  document.getElementById("total").textContent = `(${page.total} in all)`;
  for (const item of page.items) {
    const card = el("a", { class: `card ${item.decision}`, href: item.links.self, target: "_blank",
                           "data-testid": "inspection", "data-decision": item.decision });
    card.append(el("img", { src: item.links.overlay, alt: `overlay of ${item.id}`, loading: "lazy" }));
    card.append(el("div", { class: "decision" }, `${item.decision} · ${item.score.toFixed(3)}`));
    const where = [item.line, item.camera, item.part_id].filter(Boolean).join(" / ");
    card.append(el("div", { class: "meta" }, `${when(item.created_at)}${where ? " · " + where : ""}`));
    card.append(el("div", { class: "meta" }, `${item.regions.length} region(s) · ${item.latency_ms.toFixed(0)} ms`));
    grid.append(card);
  }
}

async function refresh() {
  document.body.dataset.busy = "true";
  try {
    const [health, alerts, rate, page] = await Promise.all([
      getJson("/healthz"), getJson("/v1/alerts?status=open"), getJson("/v1/rate?hours=24&buckets=48"),
      getJson("/v1/inspections?limit=24"),
    ]);
    showModel(health);
    showAlerts(alerts.items);
    showRate(rate);
    showInspections(page);
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    document.getElementById("updated").textContent = `cannot reach the service (${error.message})`;
  } finally {
    document.body.dataset.busy = "false";
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
