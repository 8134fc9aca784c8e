// The console's behaviour: profile lookups through the API, and the live
// part of the page fetched again every few seconds. Everything shown comes
// from this server; text goes in as text, never as markup.
"use strict";

(function () {
  const form = document.getElementById("lookup-form");
  const input = document.getElementById("lookup-id");
  const out = document.getElementById("profile");
  const live = document.getElementById("live");

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  function fmt(v) {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
    if (v === null || v === undefined || v === "") return "–";
    return String(v);
  }

  function show(state, ...children) {
    out.hidden = false;
    out.dataset.state = state;
    out.replaceChildren(...children);
  }

  function render(p) {
    const segs = el("dl", { class: "segs" },
      el("dt", {}, "tier"), el("dd", { id: "profile-tier" }, p.tier || "none"),
      el("dt", {}, "lifecycle"), el("dd", { id: "profile-lifecycle" }, p.lifecycle || "none"),
      el("dt", {}, "cluster"), el("dd", { id: "profile-cluster" }, p.cluster || "none"));
    const consent = el("ul", { class: "consent" });
    for (const purpose of ["email", "sms", "push", "ads", "analytics"]) {
      const granted = !!(p.consent && p.consent[purpose]);
      consent.append(el("li", { class: granted ? "granted" : "denied" }, purpose + (granted ? " ✓" : " ✗")));
    }
    const ids = el("ul", { class: "identifiers" }, ...(p.identifiers || []).map((id) => el("li", {}, id)));
    const f = p.features || {};
    const facts = el("dl", { class: "facts" });
    for (const [label, key] of [["orders", "orders"], ["spend 90 days", "monetary_90d"], ["average ticket", "avg_ticket"],
      ["sessions", "sessions"], ["devices", "devices"], ["first seen", "first_seen"], ["last seen", "last_seen"]]) {
      facts.append(el("dt", {}, label), el("dd", {}, fmt(f[key])));
    }
    show("found",
      el("h3", {}, "Profile ", el("code", { id: "profile-id" }, p.profile)),
      segs, el("h4", {}, "Consent"), consent, el("h4", {}, "Features"), facts,
      el("h4", {}, "Identifiers"), ids);
  }

  async function lookup(id) {
    show("loading", el("p", { class: "muted" }, "Looking up " + id + "…"));
    try {
      const res = await fetch("/api/profiles/" + encodeURIComponent(id), { headers: { Accept: "application/json" } });
      const body = await res.json().catch(() => ({ error: res.statusText }));
      if (!res.ok) {
        show("error", el("p", { class: "error", id: "profile-error" }, body.error || res.statusText));
        return;
      }
      render(body);
    } catch (err) {
      show("error", el("p", { class: "error", id: "profile-error" }, "lookup failed: " + err));
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (id) lookup(id);
  });

  live.addEventListener("click", (e) => {
    const a = e.target.closest("[data-profile]");
    if (!a) return;
    e.preventDefault();
    input.value = "profile:" + a.dataset.profile;
    lookup(input.value);
  });

  // The live part is rendered by the server (escaped there) and replaced
  // whole; a failed refresh keeps the last one.
  async function refresh() {
    if (document.hidden) return;
    try {
      const res = await fetch("/console/live", { cache: "no-store" });
      if (res.ok) live.innerHTML = await res.text();
    } catch (err) {
      // the server may be restarting; try again at the next tick
    }
  }
  setInterval(refresh, 5000);

  const asked = new URLSearchParams(location.search).get("id");
  if (asked) {
    input.value = asked;
    lookup(asked);
  }
})();
