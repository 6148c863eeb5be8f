// Pregonero's operator page: keeps the figures live by polling the JSON API (the
// session cookie authorises reads).  Structure changes (a new campaign, a new state's
// buttons) are taken from the page itself, re-read.  No library, nothing from elsewhere.
"use strict";
(function () {
  const POLL_MS = 3000;
  const body = document.body;
  const tz = body.dataset.tz || "America/Bogota";
  const numbers = new Intl.NumberFormat("en");
  const times = new Intl.DateTimeFormat("sv-SE", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeStyle: "medium" });

  // The same words as the server's filters (dispatcher/api/ui/web.py).
  function number(v) { return v === null || v === undefined ? "—" : numbers.format(Math.round(v)); }
  // as web.rate: a slow pace keeps its decimal instead of reading 0
  function rate(v) {
    if (v === null || v === undefined) return "—";
    return v < 10 ? (Math.round(v * 10) / 10).toFixed(1) : numbers.format(Math.round(v));
  }
  const offsets = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "shortOffset" });
  function label(d) {
    const part = offsets.formatToParts(d).find((p) => p.type === "timeZoneName");
    return part ? part.value : "";
  }
  // 2026-12-04 12:24 GMT-5, as dispatcher/domain/times.human writes it
  function local(iso) { if (!iso) return "—"; const d = new Date(iso); return times.format(d) + " " + label(d); }
  function duration(s) {
    if (s === null || s === undefined) return "—";
    if (s < 60) return s > 0 ? "< 1 min" : "done";
    const m = Math.round(s / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  }
  // Cancelled or failed: nothing is left to send, but it is not "done" either.
  function eta(c) { return c.status === "cancelled" || c.status === "failed" ? "—" : duration(c.eta_s); }
  function percent(p, digits) { return (100 * p).toFixed(digits) + "%"; }

  function set(root, field, text) {
    const el = root.querySelector('[data-field="' + field + '"]');
    if (el && el.textContent !== text) el.textContent = text;
    return el;
  }
  function stamp(ok) {
    const live = document.getElementById("live");
    if (!live) return;
    live.textContent = ok ? "Updated at " + clock.format(new Date()) + "."
                          : "Could not update; trying again.";
    live.classList.toggle("error", !ok);
  }
  async function getJSON(url) {
    const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (answer.status === 401) { window.location.assign("/ui/sign-in"); return null; }
    if (!answer.ok) throw new Error("HTTP " + answer.status);
    return answer.json();
  }
  // Re-read this page and take the parts whose shape changed.
  async function swap(selectors) {
    const answer = await fetch(window.location.href, { credentials: "same-origin" });
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    for (const selector of selectors) {
      const now = document.querySelector(selector), then = fresh.querySelector(selector);
      if (now && then) now.replaceWith(then);
    }
  }
  function state(root, c) {
    const el = set(root, "state", c.state);
    if (el) el.className = "state state-" + c.status;
  }
  function counts(root, by) {
    for (const [status, n] of Object.entries(by)) set(root, status, number(n));
  }

  async function campaigns() {
    const params = new URLSearchParams(window.location.search);
    params.set("limit", "50");
    const page = await getJSON("/v1/campaigns?" + params.toString());
    if (!page) return;
    let changed = false;
    for (const c of page.items) {
      const row = document.querySelector('tr[data-id="' + c.id + '"]');
      if (!row || row.dataset.status !== c.status) { changed = true; continue; }  // new buttons
      state(row, c);
      const bar = row.querySelector('[data-field="progress"]');
      if (bar) bar.value = c.progress;
      set(row, "percent", percent(c.progress, 0));
      counts(row, c.recipients);
      set(row, "rate", rate(c.rate_per_s));
      set(row, "eta", eta(c));
      set(row, "started", local(c.started_at));
      set(row, "finished", local(c.finished_at));
    }
    if (changed) await swap(["#campaigns tbody"]);
  }

  let lastStatus = null, polls = 0;
  async function campaign(root) {
    const c = await getJSON("/v1/campaigns/" + root.dataset.campaign);
    if (!c) return;
    state(root, c);
    const by = c.counts.by_status;
    counts(root, by);
    let total = 0, x = 0;
    for (const rect of root.querySelectorAll("#bar rect")) total += by[rect.dataset.seg] || 0;
    for (const rect of root.querySelectorAll("#bar rect")) {
      const width = 1000 * (by[rect.dataset.seg] || 0) / Math.max(total, 1);
      rect.setAttribute("x", x.toFixed(2));
      rect.setAttribute("width", width.toFixed(2));
      x += width;
    }
    set(root, "percent", percent(c.progress, 1));
    set(root, "sent", number(c.sent));
    set(root, "rate", rate(c.rate_per_s));
    set(root, "eta", eta(c));
    set(root, "started", local(c.started_at));
    set(root, "finished", local(c.finished_at));
    set(root, "replies", number(c.replies.received));
    set(root, "opt_outs", number(c.replies.opt_outs));
    if (lastStatus !== null && lastStatus !== c.status) await swap([".actions", ".attention"]);
    lastStatus = c.status;
    polls += 1;
    const chart = document.getElementById("chart");
    if (chart && polls % 2 === 0) chart.src = chart.src.split("?")[0] + "?t=" + Date.now();
  }

  async function accounts() {
    const list = await getJSON("/v1/accounts");
    if (!list) return;
    for (const a of list) {
      const row = document.querySelector('tr[data-account="' + a.name + '"]');
      if (!row) continue;
      const el = set(row, "state", a.state);
      if (el) el.classList.toggle("state-paused", a.paused);
      if (a.last_balance !== null) set(row, "balance", a.last_balance);
      set(row, "checked", local(a.checked_at));
      set(row, "window", !a.window.open_now ? "shut, opens " + local(a.window.next_open)
                        : a.window.closes_at ? "open now, closes " + local(a.window.closes_at)
                                               + "; opens again " + local(a.window.opens_again_at)
                        : "open now, all day");
      const form = row.querySelector("form");  // an operator's: its button follows the state
      if (form && form.action.endsWith(a.paused ? "/pause" : "/resume")) await swap(["#accounts tbody"]);
    }
  }

  const page = body.dataset.page;
  const root = document.querySelector("[data-campaign]");
  const poll = page === "campaigns" ? campaigns
             : page === "campaign" && root ? () => campaign(root)
             : page === "accounts" ? accounts : null;
  if (!poll) return;
  async function tick() {
    try { await poll(); stamp(true); } catch (e) { stamp(false); }
    window.setTimeout(tick, POLL_MS);
  }
  window.setTimeout(tick, POLL_MS);
})();
