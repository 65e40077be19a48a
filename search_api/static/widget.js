/*! confsearch search widget: <confsearch-box api="https://HOST"></confsearch-box>
 * A custom element with shadow DOM; plain ES module, no dependencies, no build step.
 * Document text is only ever put in the page as DOM text nodes, never parsed as HTML. */

// The API defaults to where this script was loaded from.
const BASE = new URL(".", import.meta.url).href.replace(/\/+$/, "");

// Every string a reader sees; each can be overridden with an attribute `label-NAME`.
const LABELS = {
  search: "Search the documents",
  placeholder: "Search documents…",
  searching: "Searching…",
  results: "{n} results",
  "one-result": "1 result",
  "no-results": "No results",
  "no-more": "No more results",
  more: "More results",
  retry: "Retry",
  clear: "Clear search",
  list: "Search results",
  page: "p. {n}",
  copy: "Copy citation",
  "copy-label": "Copy citation: {citation}",
  copied: "Citation copied: {citation}",
  "copy-failed": "Could not copy; the citation is {citation}",
  error: "Search is not available right now. Please try again in a moment.",
  unreachable: "Could not reach the search service. Check your connection, then retry.",
  "rate-limited": "Too many searches at once. Wait a few seconds, then retry.",
  timeout: "The search took too long. Please retry.",
  "doc-type": "Type",
  "any-type": "All types",
  "year-from": "From",
  "year-to": "To",
};
// The document fields shown under a result's title, as slots of alternatives: the server's
// declaration (GET /fields), fetched once per API address.
const SUMMARIES = new Map();
function summaryFields(api) {
  if (!SUMMARIES.has(api)) {
    const ask = fetch(`${api}/fields`, { credentials: "omit" })
      .then((res) => (res.ok ? res.json() : null))
      .then((body) => (Array.isArray(body?.summary) ? body.summary : []))
      .catch(() => {
        SUMMARIES.delete(api); // asked again with the next search
        return [];
      });
    SUMMARIES.set(api, ask);
  }
  return SUMMARIES.get(api);
}
const TYPES = {
  communique: "Communiqué",
  session_paper: "Session paper",
  resolution: "Resolution",
  speech: "Speech",
};
const ATTRS = ["api", "k", "per-document", "mode", "doc-type", "year-from", "year-to", "filters"];
const MAC = /Mac|iP(hone|ad|od)/.test(navigator.platform || navigator.userAgent);

const CSS = `
:host{--_a:var(--confsearch-accent,#0b5cad);--_f:var(--confsearch-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);--_r:var(--confsearch-radius,8px);--_bg:var(--confsearch-bg,#fff);--_fg:var(--confsearch-fg,#1b1f24);--_mu:#59616c;--_bd:#c3c9d1;--_hv:#eef2f7;--_mk:#ffec99;--_er:#b3261e;
display:block;max-width:100%;font:16px/1.45 var(--_f);color:var(--_fg);text-align:start}
:host([hidden]),[hidden]{display:none!important}
:host([theme=dark]){--_bg:var(--confsearch-bg,#171a1e);--_fg:var(--confsearch-fg,#e6e8eb);--_mu:#a3abb5;--_bd:#444b54;--_hv:#252a31;--_mk:#6e5a00;--_er:#ff8a80}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){--_bg:var(--confsearch-bg,#171a1e);--_fg:var(--confsearch-fg,#e6e8eb);--_mu:#a3abb5;--_bd:#444b54;--_hv:#252a31;--_mk:#6e5a00;--_er:#ff8a80}}
*,::before,::after{box-sizing:border-box}
form{margin:0}
.field{display:flex;align-items:center;background:var(--_bg);border:1px solid var(--_bd);border-radius:var(--_r)}
.field:focus-within{border-color:var(--_a);outline:2px solid var(--_a);outline-offset:1px}
svg{flex:none;width:1.1em;height:1.1em;margin-inline-start:.75em;fill:none;stroke:var(--_mu);stroke-width:2}
input,select,button{font:inherit;color:inherit}
.field input{flex:1;min-width:0;background:none;border:0;outline:0;padding:.65em .6em}
::placeholder{color:var(--_mu);opacity:1}
.clear{flex:none;border:0;background:none;color:var(--_mu);font-size:1.3em;line-height:1;padding:.2em .55em;border-radius:var(--_r);cursor:pointer}
kbd{flex:none;font:12px/1 ui-monospace,monospace;color:var(--_mu);border:1px solid var(--_bd);border-radius:4px;padding:.25em .45em;margin-inline-end:.7em}
.field:focus-within kbd{display:none}
.filters{display:flex;flex-wrap:wrap;gap:.4em .9em;margin-top:.4em;padding:.3em .5em;font-size:14px;background:var(--_bg);border-radius:var(--_r)}
.filters label{display:flex;align-items:center;gap:.35em}
.filters select,.filters input{background:var(--_bg);border:1px solid var(--_bd);border-radius:calc(var(--_r)/2);padding:.25em .4em}
.filters input{width:5.2em}
.panel{position:relative;margin-top:.4em;background:var(--_bg);border:1px solid var(--_bd);border-radius:var(--_r);max-height:min(75vh,40em);overflow:auto;overscroll-behavior:contain}
.busy::before{content:"";position:sticky;top:0;display:block;height:3px;background:linear-gradient(90deg,transparent,var(--_a),transparent);background-size:50% 100%;background-repeat:no-repeat;animation:slide 1s linear infinite}
@keyframes slide{from{background-position:-50% 0}to{background-position:150% 0}}
.busy [role=listbox]{opacity:.55}
.group{border-top:1px solid var(--_bd);padding:.3em 0}
.group:first-child{border-top:0}
.doc{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 .6em;padding:.35em .9em 0}
.title{font-weight:600}
.meta,.where{font-size:13px;color:var(--_mu)}
.where{display:block}
.opt{position:relative}
.copy{position:absolute;top:.3em;inset-inline-end:.6em;font-size:12px;background:var(--_bg);color:var(--_a);border:1px solid var(--_bd);border-radius:calc(var(--_r)/2);padding:.1em .5em;cursor:pointer}
.opt a{display:block;color:inherit;text-decoration:none;padding:.35em .9em .45em;border-inline-start:3px solid transparent}
.opt a:hover,.active a{background:var(--_hv)}
.active a{border-inline-start-color:var(--_a)}
.text{margin:.1em 0 0;font-size:14px;overflow-wrap:anywhere}
mark{background:var(--_mk);color:inherit;border-radius:2px;padding:0 .1em}
.msg{display:flex;flex-wrap:wrap;align-items:center;gap:.5em .8em;padding:.8em .9em}
.msg:empty{display:none}
.error{color:var(--_er)}
.more,.retry{background:none;color:var(--_a);border:1px solid currentColor;border-radius:var(--_r);padding:.3em .9em;cursor:pointer}
.more{display:block;margin:.3em .9em .8em}
button:focus-visible,select:focus-visible,.filters input:focus-visible,a:focus-visible{outline:2px solid var(--_a);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:reduce){.busy::before{animation:none;background-size:100% 100%}}
@media (forced-colors:active){.active a{outline:2px solid Highlight}mark{forced-color-adjust:none}}
`;

let sheet = null;
try {
  sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
} catch {
  sheet = null; // older engines: a <style> element instead
}

// An element: attributes (false/null skipped) and children (strings become text nodes).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.filter((c) => c || c === 0).map((c) => (typeof c === "number" ? `${c}` : c)));
  return el;
}

// The clipboard API where the page may use it; else a selected hidden textarea.
async function copyText(text, root) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "sr", "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    root.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

function clamp(n, lo, hi) {
  return Math.min(hi, Math.max(lo, Number.isFinite(n) ? n : lo));
}

// The passage around its highlight, the highlight in <mark>: text nodes only.
function snippet(r) {
  const t = `${r.text ?? ""}`;
  const [hs, he] = r.highlight_offsets || [0, 0];
  const s = clamp(hs, 0, t.length);
  const e = clamp(he, s, t.length);
  let a = Math.max(0, s - 160);
  let b = Math.min(t.length, e + 200);
  if (a > 0) a = t.indexOf(" ", a) + 1 || a;
  if (a > s) a = s;
  if (b < t.length) b = Math.max(e, t.lastIndexOf(" ", b));
  return h("p", { class: "text" }, a > 0 && "…", t.slice(a, s), e > s && h("mark", { part: "mark" }, t.slice(s, e)), t.slice(e, b), b < t.length && "…");
}

// "/,mod+k" → [{key: "/"}, {key: "k", mod: true}]
function parseHotkeys(spec) {
  if (/^\s*(off|none|false)\s*$/i.test(spec)) return [];
  return spec.split(",").map((combo) => {
    const parts = combo.trim().toLowerCase().split("+");
    const key = parts.pop() || "/";
    return { key, mod: parts.includes("mod"), ctrl: parts.includes("ctrl"), meta: parts.includes("meta"), alt: parts.includes("alt"), shift: parts.includes("shift") };
  });
}

function matches(c, e) {
  const ctrl = c.ctrl || (c.mod && !MAC);
  const meta = c.meta || (c.mod && MAC);
  const modOk = c.mod ? e.ctrlKey || e.metaKey : e.ctrlKey === ctrl && e.metaKey === meta;
  return e.key.toLowerCase() === c.key && modOk && e.altKey === c.alt && (!c.shift || e.shiftKey);
}

class ConfsearchBox extends HTMLElement {
  static observedAttributes = [...ATTRS, "placeholder", "hotkeys", ...Object.keys(LABELS).map((k) => `label-${k}`)];

  #seq = 0; // number of the latest request; older responses are discarded
  #ctl = null;
  #timer = 0;
  #key = ""; // the URL of the latest search, to skip repeats while typing
  #last = null; // [query, offset] of the latest search, for Retry
  #offset = 0;
  #options = [];
  #active = -1;
  #groups = 0;
  #summary = [];
  #ui = null;

  constructor() {
    super();
    this.attachShadow({ mode: "open", delegatesFocus: true });
  }

  connectedCallback() {
    if (!this.#ui) this.#build();
    document.addEventListener("keydown", this.#onHotkey);
    document.addEventListener("pointerdown", this.#onOutside);
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this.#onHotkey);
    document.removeEventListener("pointerdown", this.#onOutside);
    clearTimeout(this.#timer);
    this.#ctl?.abort();
  }

  attributeChangedCallback(name) {
    if (!this.#ui) return;
    this.#text();
    if (ATTRS.includes(name)) {
      if (name === "filters" || name.startsWith("year") || name === "doc-type") this.#presets();
      if (this.#ui.input.value.trim()) this.#schedule(true);
    }
  }

  focus(options) {
    this.#ui?.input.focus(options);
  }

  get value() {
    return this.#ui?.input.value ?? "";
  }

  set value(q) {
    if (!this.#ui) this.#build();
    this.#ui.input.value = q;
    this.#schedule(true);
  }

  #label(name) {
    return this.getAttribute(`label-${name}`) ?? LABELS[name];
  }

  #num(name, fallback, lo, hi) {
    const n = Number.parseInt(this.getAttribute(name) ?? "", 10);
    return Number.isNaN(n) ? fallback : clamp(n, lo, hi);
  }

  #api() {
    const api = (this.getAttribute("api") || BASE).trim().replace(/\/+$/, "");
    return /^https?:\/\//i.test(api) ? api : new URL(api || ".", document.baseURI).href.replace(/\/+$/, "");
  }

  #build() {
    const root = this.shadowRoot;
    const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M10.5 3a7.5 7.5 0 1 0 0 15 7.5 7.5 0 0 0 0-15zM16 16l5 5");
    icon.append(path);
    const ui = (this.#ui = {
      input: h("input", { type: "text", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "list", autocomplete: "off", autocapitalize: "off", spellcheck: "false", enterkeyhint: "search", part: "input" }),
      clear: h("button", { type: "button", class: "clear", hidden: true }, "×"),
      hint: h("kbd", { "aria-hidden": "true" }),
      type: h("select", { name: "doc_type" }),
      from: h("input", { type: "number", name: "year_from", inputmode: "numeric", min: 0, max: 9999 }),
      to: h("input", { type: "number", name: "year_to", inputmode: "numeric", min: 0, max: 9999 }),
      status: h("div", { role: "status", "aria-live": "polite", "aria-atomic": "true", class: "sr" }),
      list: h("div", { role: "listbox", id: "list", part: "list" }),
      msg: h("div", { class: "msg", part: "message" }),
      more: h("button", { type: "button", class: "more", part: "more", hidden: true }),
    });
    ui.typeLabel = h("span");
    ui.fromLabel = h("span");
    ui.toLabel = h("span");
    ui.filters = h("div", { class: "filters", part: "filters" }, h("label", {}, ui.typeLabel, ui.type), h("label", {}, ui.fromLabel, ui.from), h("label", {}, ui.toLabel, ui.to));
    ui.field = h("div", { class: "field", part: "field" }, icon, ui.input, ui.clear, ui.hint);
    ui.form = h("form", { role: "search", part: "form" }, ui.field, ui.filters);
    ui.panel = h("div", { class: "panel", part: "panel", hidden: true }, ui.list, ui.msg, ui.more);
    if (sheet) root.adoptedStyleSheets = [sheet];
    else root.append(h("style", {}, CSS));
    root.append(ui.form, ui.status, ui.panel);

    ui.input.addEventListener("input", () => {
      ui.clear.hidden = !ui.input.value;
      this.#schedule(false);
    });
    ui.input.addEventListener("keydown", this.#onKey);
    ui.input.addEventListener("focus", () => {
      if (this.#options.length || ui.msg.childNodes.length) this.#open(true);
    });
    ui.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#schedule(true);
    });
    ui.form.addEventListener("change", (e) => {
      if (e.target !== ui.input) this.#schedule(true);
    });
    ui.clear.addEventListener("click", () => {
      this.#reset(true);
      ui.input.focus();
    });
    ui.more.addEventListener("click", () => this.#search(this.#last[0], this.#offset + this.#num("k", 5, 1, 50)));
    root.addEventListener("focusout", (e) => {
      if (e.relatedTarget && !root.contains(e.relatedTarget)) this.#open(false);
    });
    this.#text();
    this.#presets();
  }

  // Strings and attribute-driven bits of the UI.
  #text() {
    const ui = this.#ui;
    ui.input.placeholder = this.getAttribute("placeholder") ?? this.#label("placeholder");
    ui.input.setAttribute("aria-label", this.#label("search"));
    ui.clear.setAttribute("aria-label", this.#label("clear"));
    ui.list.setAttribute("aria-label", this.#label("list"));
    ui.more.textContent = this.#label("more");
    ui.typeLabel.textContent = this.#label("doc-type");
    ui.fromLabel.textContent = this.#label("year-from");
    ui.toLabel.textContent = this.#label("year-to");
    const first = this.#hotkeys()[0];
    ui.hint.hidden = !first;
    if (first) ui.hint.textContent = first.mod ? `${MAC ? "⌘" : "Ctrl "}${first.key.toUpperCase()}` : first.key;
    ui.filters.hidden = this.getAttribute("filters") !== "shown";
  }

  // The filter controls start from the preset attributes.
  #presets() {
    const ui = this.#ui;
    const preset = (this.getAttribute("doc-type") || "").split(",").map((t) => t.trim()).filter(Boolean);
    const types = [...new Set([...Object.keys(TYPES), ...preset])];
    const option = (value, text) => h("option", { value }, text);
    ui.type.replaceChildren(option("", this.#label("any-type")), ...types.map((t) => option(t, TYPES[t] || t.replace(/_/g, " "))));
    if (preset.length > 1) ui.type.append(option(preset.join(","), preset.map((t) => TYPES[t] || t).join(", ")));
    ui.type.value = preset.join(",");
    ui.from.value = this.getAttribute("year-from") || "";
    ui.to.value = this.getAttribute("year-to") || "";
  }

  #hotkeys() {
    return parseHotkeys(this.getAttribute("hotkeys") ?? "/,mod+k");
  }

  #onHotkey = (e) => {
    if (e.defaultPrevented || e.isComposing || !this.#ui) return;
    const target = e.composedPath()[0];
    const typing = target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    for (const combo of this.#hotkeys()) {
      if (matches(combo, e) && (combo.mod || combo.ctrl || combo.meta || combo.alt || !typing)) {
        e.preventDefault();
        this.#ui.input.focus();
        this.#ui.input.select();
        return;
      }
    }
  };

  #onOutside = (e) => {
    if (!e.composedPath().includes(this)) this.#open(false);
  };

  #onKey = (e) => {
    const n = this.#options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      const down = e.key === "ArrowDown";
      if (this.#ui.panel.hidden) this.#open(true);
      this.#activate(this.#active < 0 ? (down ? 0 : n - 1) : (this.#active + (down ? 1 : n - 1)) % n);
    } else if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (this.#active >= 0 && !this.#ui.panel.hidden) this.#options[this.#active].querySelector("a").click();
      else this.#schedule(true);
    } else if (e.key === "Escape") {
      if (!this.#ui.panel.hidden) this.#open(false);
      else if (this.#ui.input.value) this.#reset(true);
      else return;
      e.preventDefault();
    }
  };

  #open(open) {
    const ui = this.#ui;
    ui.panel.hidden = !open;
    ui.input.setAttribute("aria-expanded", `${open}`);
    if (!open) this.#activate(-1);
  }

  #activate(i) {
    this.#options[this.#active]?.classList.remove("active");
    this.#options[this.#active]?.setAttribute("aria-selected", "false");
    this.#active = i;
    const opt = this.#options[i];
    if (!opt) return this.#ui.input.removeAttribute("aria-activedescendant");
    opt.classList.add("active");
    opt.setAttribute("aria-selected", "true");
    this.#ui.input.setAttribute("aria-activedescendant", opt.id);
    opt.scrollIntoView({ block: "nearest" });
  }

  #announce(text) {
    this.#ui.status.textContent = text;
  }

  #message(text, cls, ...extra) {
    const msg = this.#ui.msg;
    msg.className = `msg ${cls || ""}`;
    msg.replaceChildren(...(text ? [h("span", {}, text), ...extra] : []));
  }

  #busy(busy) {
    this.#ui.panel.classList.toggle("busy", busy);
    this.#ui.panel.setAttribute("aria-busy", `${busy}`);
  }

  #reset(clearInput) {
    const ui = this.#ui;
    clearTimeout(this.#timer);
    this.#seq++;
    this.#ctl?.abort();
    this.#ctl = null;
    this.#key = "";
    if (clearInput) ui.input.value = "";
    ui.clear.hidden = !ui.input.value;
    this.#activate(-1);
    this.#options = [];
    ui.list.replaceChildren();
    this.#message();
    ui.more.hidden = true;
    this.#busy(false);
    this.#open(false);
    this.#announce("");
  }

  #schedule(now) {
    clearTimeout(this.#timer);
    const q = this.#ui.input.value.trim();
    if (!q) return this.#reset(false);
    if (!now && this.#url(q, 0) === this.#key) return; // only whitespace changed
    if (now) this.#search(q, 0);
    else this.#timer = setTimeout(() => this.#search(q, 0), this.#num("debounce", 250, 0, 5000));
  }

  #url(q, offset) {
    const ui = this.#ui;
    const shown = this.getAttribute("filters") === "shown";
    const p = new URLSearchParams({
      q,
      k: this.#num("k", 5, 1, 50),
      offset,
      group_by: "document",
      per_document: this.#num("per-document", 2, 1, 10),
      mode: this.getAttribute("mode") || "hybrid",
    });
    const types = shown ? ui.type.value : this.getAttribute("doc-type") || "";
    for (const t of types.split(",").map((s) => s.trim()).filter(Boolean)) p.append("doc_type", t);
    for (const [name, input] of [["year_from", ui.from], ["year_to", ui.to]]) {
      const year = (shown ? input.value : this.getAttribute(name.replace("_", "-")) || "").trim();
      if (/^\d{1,4}$/.test(year)) p.set(name, year);
    }
    return `${this.#api()}/search?${p}`;
  }

  async #search(q, offset) {
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    this.#ctl?.abort(); // a superseded request is cancelled...
    const ctl = (this.#ctl = new AbortController());
    const url = this.#url(q, offset);
    this.#key = offset ? this.#key : url;
    this.#last = [q, offset];
    this.#loading(offset);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.#num("timeout", 15000, 1000, 120000));
    const summary = summaryFields(this.#api());
    let res;
    let body;
    try {
      // A simple CORS request: GET, no custom headers, no cookies, so no preflight.
      res = await fetch(url, { signal: ctl.signal, credentials: "omit" });
      body = await res.json().catch(() => null);
      this.#summary = await summary;
    } catch {
      if (seq === this.#seq) this.#fail(timedOut ? "timeout" : "unreachable");
      return;
    } finally {
      clearTimeout(timer);
    }
    if (seq !== this.#seq) return; // ...and a response to an older query is discarded
    this.#ctl = null;
    if (res.ok && body && Array.isArray(body.results)) return this.#render(offset, body);
    const server = res.status < 500 && res.status !== 429 && body?.error?.message;
    this.#fail(res.status === 429 ? "rate-limited" : "error", server);
  }

  #loading(offset) {
    const ui = this.#ui;
    this.#busy(true);
    if (offset) {
      ui.more.disabled = true;
      ui.more.textContent = this.#label("searching");
    } else if (!this.#options.length) {
      this.#message(this.#label("searching"), "loading");
    }
    this.#announce(this.#label("searching"));
    this.#open(true);
  }

  #render(offset, body) {
    const ui = this.#ui;
    this.#busy(false);
    ui.more.disabled = false;
    ui.more.textContent = this.#label("more");
    const groups = body.groups || body.results.map((r) => ({ document: r.document, results: [r] }));
    if (!offset) {
      this.#activate(-1);
      this.#options = [];
      this.#groups = 0;
      ui.list.replaceChildren();
      ui.panel.scrollTop = 0;
    }
    this.#offset = offset;
    this.#message();
    for (const g of groups) ui.list.append(this.#group(g));
    ui.more.hidden = groups.length < this.#num("k", 5, 1, 50);
    const n = this.#options.length;
    if (!n) this.#message(this.#label("no-results"), "empty");
    this.#announce(
      !n ? this.#label("no-results") : offset && !groups.length ? this.#label("no-more") : n === 1 ? this.#label("one-result") : this.#label("results").replace("{n}", n),
    );
    this.#open(true);
    this.dispatchEvent(new CustomEvent("confsearch-results", { detail: { query: body.query, offset, count: n }, bubbles: true, composed: true }));
  }

  #group(g) {
    const d = g.document || {};
    const id = `g${this.#groups++}`;
    const shown = (name) => (name === "doc_type" ? TYPES[d[name]] || d[name]?.replace(/_/g, " ") : d[name]);
    const meta = this.#summary.map((slot) => slot.map(shown).find((v) => v != null && v !== "")).filter(Boolean).join(" · ");
    const head = h("div", { class: "doc", id, part: "document" }, h("span", { class: "title" }, `${d.title || d.id || ""}`), meta && h("span", { class: "meta" }, meta));
    const group = h("div", { role: "group", "aria-labelledby": id, class: "group" }, head);
    for (const r of g.results || []) group.append(this.#option(r, r.document || d));
    return group;
  }

  #option(r, d) {
    // A resolution's passage is placed by its symbol and paragraph, as researchers cite it.
    const place = d.symbol && r.citation ? r.citation : r.section;
    const where = [place, !d.symbol && r.page != null && this.#label("page").replace("{n}", r.page)].filter(Boolean).join(" · ");
    const target = this.getAttribute("target");
    const href = `${this.#api()}/documents/${encodeURIComponent(d.id)}/view?start=${+r.start || 0}&end=${+r.end || 0}#passage`;
    const link = h("a", { href, tabindex: "-1", part: "link", target, rel: target && "noopener" }, where && h("span", { class: "where" }, where), snippet(r));
    const opt = h("div", { role: "option", id: `o${this.#options.length}`, "aria-selected": "false", class: "opt", part: "option" }, link);
    if (r.citation) opt.append(this.#copyButton(`${r.citation}`));
    opt.addEventListener("pointermove", () => this.#active !== this.#options.indexOf(opt) && this.#activate(this.#options.indexOf(opt)));
    this.#options.push(opt);
    return opt;
  }

  #copyButton(citation) {
    const button = h("button", { type: "button", class: "copy", tabindex: "-1", part: "copy", "aria-label": this.#label("copy-label").replace("{citation}", citation) }, this.#label("copy"));
    button.addEventListener("click", async (e) => {
      e.preventDefault();
      e.stopPropagation();
      const ok = await copyText(citation, this.shadowRoot);
      this.#announce(this.#label(ok ? "copied" : "copy-failed").replace("{citation}", citation));
      this.#ui.input.focus();
      this.dispatchEvent(new CustomEvent("confsearch-copy", { detail: { citation, ok }, bubbles: true, composed: true }));
    });
    return button;
  }

  #fail(kind, serverMessage) {
    const ui = this.#ui;
    this.#busy(false);
    ui.more.disabled = false;
    ui.more.textContent = this.#label("more");
    const text = serverMessage || this.#label(kind);
    if (!this.#last[1]) {
      // A failed new search: the results of the previous one no longer answer the box.
      this.#activate(-1);
      this.#options = [];
      ui.list.replaceChildren();
      ui.more.hidden = true;
    }
    this.#key = ""; // typing the same query again searches again
    const retry = h("button", { type: "button", class: "retry", part: "retry" }, this.#label("retry"));
    retry.addEventListener("click", () => {
      ui.input.focus();
      this.#search(...this.#last);
    });
    this.#message(text, "error", retry);
    this.#announce(text);
    this.#open(true);
  }
}

if (!customElements.get("confsearch-box")) customElements.define("confsearch-box", ConfsearchBox);

export { ConfsearchBox };
