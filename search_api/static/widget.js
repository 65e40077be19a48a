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
  understood: "Understood:",
  remove: "Remove {text}",
  chart: "Matches per year",
  "year-count": "{year}: {n} documents",
  "year-count-one": "{year}: 1 document",
  "only-year": "Only {year}",
  "all-years": "All years",
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
const ATTRS = ["api", "k", "per-document", "mode", "doc-type", "year-from", "year-to", "filters", "understand"];
const MAC = /Mac|iP(hone|ad|od)/.test(navigator.platform || navigator.userAgent);

const CSS = `
:host{--_a:var(--confsearch-accent,#0b5cad);--_f:var(--confsearch-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);--_r:var(--confsearch-radius,8px);--_bg:var(--confsearch-bg,#fff);--_fg:var(--confsearch-fg,#1b1f24);--_mu:#59616c;--_bd:#c3c9d1;--_hv:#eef2f7;--_mk:#ffec99;--_er:#b3261e;
display:block;max-width:100%;font:16px/1.45 var(--_f);color:var(--_fg);text-align:start}
:host([hidden]),[hidden]{display:none!important}
:host([theme=dark]){--_a:var(--confsearch-accent,#8ab4f8);--_bg:var(--confsearch-bg,#171a1e);--_fg:var(--confsearch-fg,#e6e8eb);--_mu:#a3abb5;--_bd:#444b54;--_hv:#252a31;--_mk:#6e5a00;--_er:#ff8a80}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){--_a:var(--confsearch-accent,#8ab4f8);--_bg:var(--confsearch-bg,#171a1e);--_fg:var(--confsearch-fg,#e6e8eb);--_mu:#a3abb5;--_bd:#444b54;--_hv:#252a31;--_mk:#6e5a00;--_er:#ff8a80}}
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
.busy .res,.busy .top{opacity:.55}
.group{border-top:1px solid var(--_bd);padding:.3em 0}
.group:first-child{border-top:0}
.doc{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 .6em;padding:.35em .9em 0}
.title{font-weight:600}
.meta,.where{font-size:13px;color:var(--_mu)}
.where{display:block}
.res{position:relative}
.opt{padding:.35em .9em .45em;border-inline-start:3px solid transparent;cursor:pointer}
.opt:hover,.active{background:var(--_hv)}
.active{border-inline-start-color:var(--_a)}
.cited::before{content:"";float:inline-end;width:calc(var(--cw,7em) + .5em);height:1.6em}
.copy{position:absolute;top:0;inset-inline-end:.6em;font-size:12px;background:var(--_bg);color:var(--_a);border:1px solid var(--_bd);border-radius:calc(var(--_r)/2);padding:.1em .5em;cursor:pointer;white-space:nowrap}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.4em;padding:.5em .9em 0;font-size:14px}
fieldset{margin:0;border:0;min-width:0}
legend{float:left;padding:0;color:var(--_mu)}
.only span{color:var(--_mu)}
.chip{display:inline-flex;align-items:center;gap:.3em;background:var(--_hv);border:1px solid var(--_bd);border-radius:1em;padding:.05em .35em .05em .7em;cursor:pointer}
.chip span{font-size:1.15em;line-height:1;color:var(--_mu)}
.chip:hover{border-color:var(--_a)}
.chart{display:flex;align-items:flex-end;gap:3px;max-width:100%;overflow-x:auto;padding:.5em .9em .2em}
.chart button{flex:1 0 2.4em;max-width:4.5em;display:flex;flex-direction:column;justify-content:flex-end;gap:2px;height:4.4em;background:none;border:0;padding:0;cursor:pointer}
.bar{display:block;min-height:2px;background:var(--_a);border-radius:2px 2px 0 0}
.chart button:hover .bar{opacity:.7}
.yr{font-size:11px;line-height:1.2;color:var(--_mu)}
.only button{background:none;color:var(--_a);border:0;padding:0;text-decoration:underline;cursor:pointer}
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
@media (forced-colors:active){.active{outline:2px solid Highlight}.bar{background:CanvasText}mark{forced-color-adjust:none}}
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
  #cites = []; // [option, its copy button]: the buttons lie outside the listbox, over their option
  #ignored = []; // understood fields the reader set aside (chips removed)...
  #ignoredQ = ""; // ...for this query text
  #answers = ""; // the URL of the search the results shown answer (see #current)
  // A year chosen in the chart narrows the results of the question it was chosen for; a new
  // question is read afresh, its own years included ("Fiji oceans in 2015" as a "2015" chip),
  // so the chosen year is dropped then. Kept, it would set aside the year typed, and with it
  // nothing said why; the chart is counted per question, so its bars mean nothing for another.
  #pick = null; // the year chosen in the chart...
  #pickQ = ""; // ...for this question...
  #pickWas = ["", ""]; // ...and the year controls' values before (with filters="shown")
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
      cites: h("div", { class: "cites" }),
      chips: h("fieldset", { class: "top chips", part: "chips", hidden: true }),
      chart: h("div", { role: "toolbar", class: "chart", part: "chart", hidden: true }),
      only: h("div", { class: "top only", hidden: true }),
      msg: h("div", { class: "msg", part: "message" }),
      more: h("button", { type: "button", class: "more", part: "more", hidden: true }),
    });
    ui.typeLabel = h("span");
    ui.legend = h("legend");
    ui.chips.append(ui.legend);
    ui.fromLabel = h("span");
    ui.toLabel = h("span");
    ui.filters = h("div", { class: "filters", part: "filters" }, h("label", {}, ui.typeLabel, ui.type), h("label", {}, ui.fromLabel, ui.from), h("label", {}, ui.toLabel, ui.to));
    ui.field = h("div", { class: "field", part: "field" }, icon, ui.input, ui.clear, ui.hint);
    ui.form = h("form", { role: "search", part: "form" }, ui.field, ui.filters);
    ui.res = h("div", { class: "res" }, ui.list, ui.cites);
    ui.panel = h("div", { class: "panel", part: "panel", hidden: true }, ui.chips, ui.only, ui.chart, ui.res, ui.msg, ui.more);
    if (sheet) root.adoptedStyleSheets = [sheet];
    else root.append(h("style", {}, CSS));
    root.append(ui.form, ui.status, ui.panel);

    // Any edit makes the results shown stale: the highlight goes at once (Enter then searches
    // the text; it opens a result only once chosen among the results of the text as it is).
    // Mid-composition (IME) the text is not final yet: it is searched when composed.
    ui.input.addEventListener("input", (e) => {
      ui.clear.hidden = !ui.input.value;
      this.#activate(-1);
      if (!e.isComposing) this.#schedule(false);
    });
    ui.input.addEventListener("compositionstart", () => this.#activate(-1));
    ui.input.addEventListener("compositionend", () => this.#schedule(false));
    ui.input.addEventListener("keydown", this.#onKey);
    ui.input.addEventListener("focus", () => {
      if (this.#options.length || ui.msg.childNodes.length) this.#open(true);
    });
    ui.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#schedule(true);
    });
    ui.form.addEventListener("change", (e) => {
      if (e.target === ui.input) return;
      if (e.target !== ui.type) this.#pick = null; // years set by hand: the reader's own filter
      this.#schedule(true);
    });
    ui.clear.addEventListener("click", () => {
      this.#reset(true);
      ui.input.focus();
    });
    ui.more.addEventListener("click", () => this.#search(this.#last[0], this.#offset + this.#num("k", 5, 1, 50)));
    // An option holds no control of its own (a listbox's options must not): the widget opens it.
    const go = (e) => {
      const opt = e.target.closest("[role=option]");
      if (opt && (e.button === 0 || e.button === 1)) this.#go(opt, e);
    };
    ui.list.addEventListener("click", go);
    ui.list.addEventListener("auxclick", go);
    ui.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        ui.input.focus();
        this.#open(false);
      }
    });
    ui.chart.addEventListener("keydown", (e) => {
      const bars = [...ui.chart.children];
      const i = bars.indexOf(e.target);
      const to = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: bars.length - 1 }[e.key];
      if (i < 0 || to == null) return;
      e.preventDefault();
      this.#rove(bars[clamp(to, 0, bars.length - 1)]).focus();
    });
    ui.only.addEventListener("click", (e) => {
      if (!e.target.closest("button")) return;
      this.#pickYear(null);
    });
    // The copy buttons follow their options as the results reflow (moved in the next frame,
    // not within the observer's callback).
    if (window.ResizeObserver) new ResizeObserver(() => requestAnimationFrame(() => this.#place())).observe(ui.list);
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
    ui.legend.textContent = this.#label("understood");
    ui.chart.setAttribute("aria-label", this.#label("chart"));
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
    this.#pick = null;
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
    if (e.isComposing || e.keyCode === 229) return; // keys of an IME's composition are its own
    const n = this.#options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      if (!this.#current()) {
        // Stale results are not chosen from: the text as edited is searched now instead.
        if (this.#key !== this.#url(this.#ui.input.value.trim(), 0)) this.#schedule(true);
        return;
      }
      const down = e.key === "ArrowDown";
      if (this.#ui.panel.hidden) this.#open(true);
      this.#activate(this.#active < 0 ? (down ? 0 : n - 1) : (this.#active + (down ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (this.#active >= 0 && !this.#ui.panel.hidden && this.#current()) this.#go(this.#options[this.#active], e);
      else this.#schedule(true);
    } else if (e.key === "Escape") {
      if (!this.#ui.panel.hidden) this.#open(false);
      else if (this.#ui.input.value) this.#reset(true);
      else return;
      e.preventDefault();
    }
  };

  // Whether the results shown answer the box as it is now (its text and filters).
  #current() {
    return this.#answers !== "" && this.#answers === this.#url(this.#ui.input.value.trim(), 0);
  }

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
    this.#clearResults();
    this.#chips(null);
    this.#chart(null);
    this.#message();
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
      const year = `${shown ? input.value : (this.#pick ?? (this.getAttribute(name.replace("_", "-")) || ""))}`.trim();
      if (/^\d{1,4}$/.test(year)) p.set(name, year);
    }
    if (/^(off|false|no)$/i.test(this.getAttribute("understand") || "")) p.set("understand", "false");
    else if (q === this.#ignoredQ) for (const f of this.#ignored) p.append("ignore", f);
    if (!offset) p.set("facets", "true");
    return `${this.#api()}/search?${p}`;
  }

  async #search(q, offset) {
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    if (q !== this.#ignoredQ) [this.#ignored, this.#ignoredQ] = [[], q]; // a new question: read it afresh
    if (!offset) {
      this.#activate(-1); // the results shown no longer answer what is asked
      if (this.#pick != null && q !== this.#pickQ) this.#unpick();
    }
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
    if (res.ok && body && Array.isArray(body.results)) return this.#render(offset, body, url);
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

  #render(offset, body, url) {
    const ui = this.#ui;
    this.#busy(false);
    ui.more.disabled = false;
    ui.more.textContent = this.#label("more");
    const groups = body.groups || body.results.map((r) => ({ document: r.document, results: [r] }));
    if (!offset) {
      this.#clearResults();
      this.#answers = url;
      this.#chips(body.understood);
      this.#chart(body.facets?.year);
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
    this.#place();
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
    const href = `${this.#api()}/documents/${encodeURIComponent(d.id)}/view?start=${+r.start || 0}&end=${+r.end || 0}#passage`;
    const opt = h("div", { role: "option", id: `o${this.#options.length}`, "aria-selected": "false", class: r.citation ? "opt cited" : "opt", part: "option", "data-href": href }, where && h("span", { class: "where" }, where), snippet(r));
    // Hovering highlights a result only while the results answer the text as it is.
    const hover = () => this.#active !== this.#options.indexOf(opt) && this.#current() && this.#activate(this.#options.indexOf(opt));
    opt.addEventListener("pointermove", hover);
    if (r.citation) {
      const button = this.#copyButton(`${r.citation}`);
      button.addEventListener("pointerenter", hover);
      button.addEventListener("focus", hover);
      this.#cites.push([opt, button]);
      this.#ui.cites.append(button);
    }
    this.#options.push(opt);
    return opt;
  }

  // Opens an option's document as a link would (the page's `target`; Ctrl/⌘/Shift or the
  // middle button: a new tab).
  #go(opt, e) {
    const href = opt.getAttribute("data-href");
    const target = this.getAttribute("target") || (e && (e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1) ? "_blank" : "");
    if (target) window.open(href, target, target === "_blank" ? "noopener" : "");
    else location.assign(href);
  }

  #copyButton(citation) {
    const button = h("button", { type: "button", class: "copy", part: "copy", "aria-label": this.#label("copy-label").replace("{citation}", citation) }, this.#label("copy"));
    button.addEventListener("click", async (e) => {
      e.preventDefault();
      const ok = await copyText(citation, this.shadowRoot);
      this.#announce(this.#label(ok ? "copied" : "copy-failed").replace("{citation}", citation));
      if (e.detail) this.#ui.input.focus(); // clicked: back to typing; from the keyboard: stay
      this.dispatchEvent(new CustomEvent("confsearch-copy", { detail: { citation, ok }, bubbles: true, composed: true }));
    });
    return button;
  }

  // Each copy button at the top of its option, in the space the option leaves free for it.
  #place() {
    const ui = this.#ui;
    const width = this.#cites[0]?.[1].offsetWidth;
    if (width && ui.list.style.getPropertyValue("--cw") !== `${width}px`) ui.list.style.setProperty("--cw", `${width}px`);
    for (const [opt, button] of this.#cites) button.style.top = `${opt.offsetTop + 5}px`;
  }

  #clearResults() {
    const ui = this.#ui;
    this.#activate(-1);
    this.#answers = "";
    this.#options = [];
    this.#cites = [];
    this.#groups = 0;
    ui.list.replaceChildren();
    ui.cites.replaceChildren();
    ui.more.hidden = true;
  }

  // What the question's words were read as ("Tuvalu", "in 2019"): a chip each, whose removal
  // searches again with that field set aside.
  #chips(understood) {
    const ui = this.#ui;
    const old = new Map([...ui.chips.querySelectorAll("button")].map((b) => [b.value, b]));
    const chips = [];
    // "August 1990" is read as a month and its year: one chip says both, and removing it sets
    // both aside.
    const { date, year } = understood || {};
    const folded = Boolean(date && year && `${date.text}`.includes(`${year.text}`));
    for (const [field, u] of Object.entries(understood || {})) {
      if (!u || (folded && field === "year")) continue; // every field the API read is a chip
      const fields = folded && field === "date" ? ["date", "year"] : [field];
      const v = u.value;
      // words read as others show as read ("Tuvalau" → "Tuvalu", "latest" → 2024), the words
      // typed in its title
      const text = `${u.read_as ?? u.text ?? (v && typeof v === "object" && !Array.isArray(v) ? [v.gte, v.lte].join("–") : [].concat(v).join(", "))}`;
      const key = `${field}:${text}`;
      let chip = old.get(key); // the same chip, kept (and focus with it)
      if (!chip) {
        chip = h("button", { type: "button", class: "chip", part: "chip", value: key }, text, h("span", { "aria-hidden": "true" }, "×"));
        chip.addEventListener("click", () => this.#unchip(chip, fields));
      }
      chip.setAttribute("aria-label", this.#label("remove").replace("{text}", text));
      if (u.read_as) chip.title = `${u.text} → ${u.read_as}`;
      else chip.removeAttribute("title");
      chips.push(chip);
    }
    // Kept chips stay in place (moving a focused element would lose its focus).
    for (const chip of old.values()) if (!chips.includes(chip)) chip.remove();
    ui.chips.append(...chips.filter((chip) => !chip.isConnected));
    ui.chips.hidden = !chips.length;
  }

  #unchip(chip, fields) {
    const ui = this.#ui;
    const chips = [...ui.chips.querySelectorAll("button")];
    const next = chips[chips.indexOf(chip) + 1] || chips[chips.indexOf(chip) - 1];
    for (const field of fields) if (!this.#ignored.includes(field)) this.#ignored.push(field);
    chip.remove();
    (next || ui.input).focus();
    if (!next) ui.chips.hidden = true;
    this.#search(this.#ignoredQ, 0);
  }

  // Matching documents per year, a bar each (with two years or more); a bar filters to its year.
  #chart(years) {
    const ui = this.#ui;
    const picked = this.#picked();
    ui.only.hidden = picked == null;
    if (picked != null) {
      const all = h("button", { type: "button" }, this.#label("all-years"));
      ui.only.replaceChildren(h("span", {}, this.#label("only-year").replace("{year}", picked)), all);
    }
    const counts = Object.entries(years || {})
      .filter(([y, n]) => /^\d{1,4}$/.test(y) && n > 0)
      .sort((a, b) => a[0] - b[0]);
    const max = Math.max(1, ...counts.map(([, n]) => n));
    ui.chart.replaceChildren(
      ...counts.map(([y, n]) => {
        const name = this.#label(n === 1 ? "year-count-one" : "year-count").replace("{year}", y).replace("{n}", n);
        const bar = h("span", { class: "bar", part: "bar" });
        bar.style.height = `${Math.max(2, Math.round((34 * n) / max))}px`;
        const button = h("button", { type: "button", tabindex: "-1", "aria-label": name, title: name }, h("span", { class: "yr" }, n), bar, h("span", { class: "yr" }, y));
        button.addEventListener("click", () => this.#pickYear(y));
        return button;
      }),
    );
    if (counts.length) this.#rove(ui.chart.firstChild);
    ui.chart.hidden = counts.length < 2 || picked != null;
  }

  // The toolbar's one tab stop.
  #rove(bar) {
    for (const b of this.#ui.chart.children) b.tabIndex = b === bar ? 0 : -1;
    return bar;
  }

  #picked() {
    const ui = this.#ui;
    if (this.getAttribute("filters") !== "shown") return this.#pick;
    return ui.from.value && ui.from.value === ui.to.value ? ui.from.value : null;
  }

  // Filters the question to one year (as the year controls do), or to every year with null.
  #pickYear(year) {
    const ui = this.#ui;
    if (this.getAttribute("filters") === "shown") {
      if (this.#pick == null) this.#pickWas = [ui.from.value, ui.to.value];
      ui.from.value = ui.to.value = year ?? "";
    }
    [this.#pick, this.#pickQ] = [year, ui.input.value.trim()];
    ui.input.focus();
    this.#schedule(true);
  }

  // A new question: the year chosen for the last one goes (the year controls as they were).
  #unpick() {
    const ui = this.#ui;
    if (this.getAttribute("filters") === "shown" && ui.from.value === `${this.#pick}` && ui.to.value === ui.from.value) {
      [ui.from.value, ui.to.value] = this.#pickWas;
    }
    this.#pick = null;
  }

  #fail(kind, serverMessage) {
    const ui = this.#ui;
    this.#busy(false);
    ui.more.disabled = false;
    ui.more.textContent = this.#label("more");
    const text = serverMessage || this.#label(kind);
    if (!this.#last[1]) {
      // A failed new search: the results of the previous one no longer answer the box.
      this.#clearResults();
      this.#chips(null);
      this.#chart(null);
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
