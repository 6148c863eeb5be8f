// The new-campaign form (/ui/campaigns/new).  Everything goes through the JSON API, as
// any client's would: /v1/messages/preview for the counter and the first rows,
// /v1/campaigns?dry_run=true for the plan, /v1/campaigns with an Idempotency-Key to start,
// and a small test campaign.  The session's cookie and its token (X-CSRF-Token) authorise
// it.  No library, nothing from elsewhere.
"use strict";
(function () {
  const form = document.getElementById("new-campaign");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const csrf = form.dataset.csrf;
  const tz = document.body.dataset.tz || "America/Bogota";
  const numbers = new Intl.NumberFormat("en");
  const SHOW_PROGRESS_OVER = 2 * 1024 * 1024;  // bytes: a bigger upload shows its progress
  const DONE = ["completed", "cancelled", "failed"];
  let sample = null;       // the file's first lines, as text
  let firstFields = {};    // the first row's fields: a test's recipients get them
  let key = null;          // the reviewed form's Idempotency-Key
  let previewing = 0;

  function text(el, value) { el.textContent = value; return el; }
  function make(tag, value, cls) {
    const el = document.createElement(tag);
    if (value !== undefined && value !== null) el.textContent = String(value);
    if (cls) el.className = cls;
    return el;
  }
  // 32 random hex digits (getRandomValues works over plain http too, randomUUID does not).
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function plural(n, one, many) { return numbers.format(n) + " " + (n === 1 ? one : many); }
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  // A datetime-local value (the page's zone) as ISO 8601 with that zone's offset then.
  function isoIn(value) {
    if (!value) return null;
    const zone = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" });
    const part = zone.formatToParts(new Date(value + ":00Z")).find((p) => p.type === "timeZoneName");
    const found = /GMT([+-]\d{2}):?(\d{2})?/.exec(part ? part.value : "");
    return value + ":00" + (found ? found[1] + ":" + (found[2] || "00") : "+00:00");
  }

  // What an API problem says, in one line: its detail and each field's.
  function problemText(status, data) {
    if (!data) return "The server answered " + status + "; try again.";
    const fields = (data.errors || []).map((e) => e.field + ": " + e.detail);
    return [data.detail || data.title || "HTTP " + status].concat(fields.slice(0, 3)).join(" — ");
  }

  function call(method, url, body, headers, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
      if (progress) xhr.upload.onprogress = progress;
      xhr.onload = () => {
        if (xhr.status === 401) { window.location.assign("/ui/sign-in"); return; }
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = () => reject(new Error("the connection to the server failed; try again"));
      xhr.send(body);
    });
  }
  function postJSON(url, body) {
    return call("POST", url, JSON.stringify(body), { "Content-Type": "application/json" });
  }

  // -- the counter, the fields and the first rows --------------------------------------
  let timer = null;
  function later() { window.clearTimeout(timer); timer = window.setTimeout(preview, 200); }

  async function preview() {
    const asked = ++previewing;
    const answer = await postJSON("/v1/messages/preview", {
      message: $("message").value,
      transliterate: $("transliterate").checked,
      sample: sample,
      number_column: $("number_column").value || null,
      purpose: $("purpose").value,
      start_at: isoIn($("start_at").value),
    });
    if (asked !== previewing) return;  // a newer one is on its way
    if (answer.status !== 200) { text($("counter"), problemText(answer.status, answer.data)); return; }
    show(answer.data);
  }

  function measureText(m) {
    let words = plural(m.chars, "character", "characters") + " · " +
                plural(m.segments, "segment", "segments") + " · " + m.encoding;
    if (m.ucs2_chars.length) words += " — UCS-2 because of: " + m.ucs2_chars.join(" ");
    return words;
  }

  function show(p) {
    let words = measureText(p.sent);
    if (p.placeholders.length) words += " (placeholders counted as their default or name)";
    text($("counter"), words);
    const converted = $("converted");
    converted.hidden = p.transliterated === null;
    if (p.transliterated !== null) text(converted, "Sent as: " + p.transliterated);
    const problems = $("problems");
    problems.replaceChildren(...p.problems.map((w) => make("li", w, "error")));
    columns(p.columns, p.number_column);
    rows(p.rows);
    text($("starts"), p.starts);
    firstFields = p.rows.length ? p.rows[0].fields : {};
  }

  function columns(names, numberColumn) {
    const select = $("number_column");
    const chosen = select.value;
    const now = Array.from(select.options).slice(1).map((o) => o.value);
    if (now.join("\u0000") !== names.join("\u0000")) {
      select.replaceChildren(make("option", "as detected" + (numberColumn ? " (" + numberColumn + ")" : "")));
      select.options[0].value = "";
      for (const name of names) { const o = make("option", name); o.value = name; select.append(o); }
      select.value = names.includes(chosen) ? chosen : "";
    }
    const chips = $("placeholders");
    chips.replaceChildren(...names.filter((n) => n && n !== numberColumn).map((name) => {
      const button = make("button", "{{" + name + "}}", "chip");
      button.type = "button";
      button.setAttribute("aria-label", "Insert the field " + name);
      button.addEventListener("click", () => insert("{{" + name + "}}"));
      return button;
    }));
  }

  function insert(placeholder) {
    const box = $("message");
    const start = box.selectionStart, end = box.selectionEnd;
    box.setRangeText(placeholder, start, end, "end");
    box.focus();
    later();
  }

  function rows(list) {
    const body = $("preview").tBodies[0];
    if (!list.length) {
      const row = make("tr");
      const cell = make("td", sample ? "No rows to show." : "Choose a file and write the message.", "muted");
      cell.colSpan = 4;
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(...list.map((r) => {
      const row = make("tr");
      row.append(make("td", r.line), make("td", r.msisdn || r.number));
      if (r.problem) {
        const cell = make("td", r.problem, "error");
        cell.colSpan = 2;
        row.append(cell);
      } else {
        row.append(make("td", r.text, "sms"), make("td", r.segments + " · " + r.encoding, "n"));
      }
      return row;
    }));
  }

  // -- the file --------------------------------------------------------------------------
  async function chosen(file) {
    if (!file) return;
    sample = await file.slice(0, Number(form.dataset.sampleBytes)).text();
    let facts = file.name + ": " + megabytes(file.size);
    if (file.size > SHOW_PROGRESS_OVER) facts += "; the upload shows its progress";
    text($("file-facts"), facts);
    later();
  }
  const input = $("recipients");
  input.addEventListener("change", () => chosen(input.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (!e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    chosen(input.files[0]);
  });

  for (const id of ["message", "transliterate", "number_column", "purpose", "start_at"]) {
    $(id).addEventListener(id === "message" ? "input" : "change", later);
  }
  const picker = $("template");
  if (picker) {
    picker.addEventListener("change", () => {
      const option = picker.selectedOptions[0];
      if (!option || !option.value) return;
      $("message").value = option.dataset.message;
      $("purpose").value = option.dataset.purpose;
      $("method").value = option.dataset.method;
      later();
    });
  }

  // -- review and start ------------------------------------------------------------------
  function fields() {
    const data = new FormData();
    for (const id of ["name", "message", "purpose", "method", "priority"]) data.append(id, $(id).value);
    for (const id of ["account", "number_column", "callback_url"]) {
      if ($(id).value.trim()) data.append(id, $(id).value.trim());
    }
    for (const id of ["start_at", "expires_at"]) {
      if ($(id).value) data.append(id, isoIn($(id).value));
    }
    data.append("transliterate", $("transliterate").checked ? "true" : "false");
    return data;
  }

  function missing() {
    if (!$("name").value.trim()) return [$("name"), "Give the campaign a name."];
    if (!input.files.length) return [input, "Choose the CSV file with the numbers."];
    if (!$("message").value.trim()) return [$("message"), "Write the message."];
    return null;
  }

  function upload(url, headers) {
    const data = fields();
    data.append("recipients", input.files[0]);
    const size = input.files[0].size;
    const box = $("upload"), bar = $("upload-bar");
    box.hidden = size <= SHOW_PROGRESS_OVER;
    bar.value = 0;
    return call("POST", url, data, headers, (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round(100 * e.loaded / e.total);
      text($("upload-words"), "Uploading: " + bar.value + "% of " + megabytes(e.total));
    }).finally(() => { box.hidden = true; });
  }

  function fail(words) { text($("form-error"), words); }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fail("");
    const gap = missing();
    if (gap) { fail(gap[1]); gap[0].focus(); return; }
    $("review").disabled = true;
    try {
      const answer = await upload("/v1/campaigns?dry_run=true", {});
      if (answer.status !== 200) { fail(problemText(answer.status, answer.data)); return; }
      review(answer.data);
      key = newKey();  // this reviewed form: a second Start is the same campaign
    } catch (err) { fail(err.message); } finally { $("review").disabled = false; }
  });

  function review(dry) {
    const c = dry.counts;
    const counts = $("counts");
    counts.replaceChildren();
    for (const [label, n] of [["Numbers", c.submitted], ["To send", c.sendable], ["Invalid", c.invalid],
                              ["Repeated", c.duplicate], ["Suppressed", c.suppressed],
                              ["Held by the contact limit (Ley 2300)", c.reached_today],
                              ...Object.entries(c.on_exclusion_lists || {}).map(
                                ([name, n]) => [`On list ${name}`, n])]) {
      if (n === null || n === undefined) continue;
      const div = make("div");
      div.append(make("dt", label), make("dd", numbers.format(n)));
      counts.append(div);
    }
    const plan = $("plan");
    plan.replaceChildren(...dry.plan_words.map((line) => {
      const div = make("div");
      div.append(make("dt", line.label.replace(/^plan ?/, "") || "plan"), make("dd", line.text));
      return div;
    }));
    const invalid = $("invalid");
    invalid.replaceChildren();
    if (dry.invalid_sample.length) {
      invalid.append(make("h3", "Invalid numbers (a sample)"));
      const table = make("table");
      const head = make("tr");
      for (const h of ["Line", "Value", "Why"]) { const th = make("th", h); th.scope = "col"; head.append(th); }
      table.append(make("thead"));
      table.tHead.append(head);
      const body = make("tbody");
      for (const s of dry.invalid_sample) {
        const row = make("tr");
        row.append(make("td", s.line), make("td", s.value), make("td", s.detail || s.reason));
        body.append(row);
      }
      table.append(body);
      invalid.append(table);
    }
    $("write").hidden = true;
    $("check").hidden = false;
    $("check-h").focus();
  }

  $("back").addEventListener("click", () => {
    $("check").hidden = true;
    $("write").hidden = false;
    fail("");
    $("review").focus();
  });

  const start = $("start");
  start.addEventListener("click", async () => {
    if (start.disabled) return;
    start.disabled = true;  // a double click sends once; the key makes a resend the same
    fail("");
    try {
      const answer = await upload("/v1/campaigns", { "Idempotency-Key": key });
      if (answer.status === 201) {
        window.location.assign("/ui/campaigns/" + answer.data.id + "?done=created");
        return;
      }
      fail(problemText(answer.status, answer.data));
    } catch (err) { fail(err.message); }
    start.disabled = false;
  });

  // -- a test ----------------------------------------------------------------------------
  const testButton = $("send-test");
  testButton.addEventListener("click", async () => {
    const outcome = $("test-outcome");
    const typed = $("test-numbers").value.split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean);
    if (!typed.length) { text(outcome, "Type at least one number."); return; }
    if (!$("message").value.trim()) { text(outcome, "Write the message first."); return; }
    testButton.disabled = true;
    const body = {
      name: ($("name").value.trim() || "Message") + " (test)",
      message: $("message").value,
      purpose: $("purpose").value,
      method: $("method").value,
      transliterate: $("transliterate").checked,
      test: true,
      recipients: typed.map((n) => ({ number: n, fields: firstFields })),
    };
    if ($("account").value) body.account = $("account").value;
    try {
      const answer = await postJSON("/v1/campaigns", body);
      if (answer.status !== 201) { text(outcome, problemText(answer.status, answer.data)); return; }
      await watch(answer.data.id, outcome);
    } catch (err) { text(outcome, err.message); } finally { testButton.disabled = false; }
  });

  async function watch(id, outcome) {
    for (let i = 0; i < 400; i++) {
      const answer = await call("GET", "/v1/campaigns/" + id);
      if (answer.status !== 200) { text(outcome, problemText(answer.status, answer.data)); return; }
      const c = answer.data, by = c.counts.by_status;
      const parts = ["accepted", "rejected", "invalid", "suppressed", "uncertain", "pending"]
        .filter((k) => by[k]).map((k) => numbers.format(by[k]) + " " + k);
      outcome.replaceChildren(make("span", "Test "), link(c), make("span", ": " + c.state + " — " + parts.join(", ") + "."));
      if (DONE.includes(c.status)) return;
      await new Promise((resolve) => window.setTimeout(resolve, 1500));
    }
  }
  function link(c) { const a = make("a", "#" + c.id); a.href = "/ui/campaigns/" + c.id; return a; }

  later();
})();
