// The console's editor, made live: rows added and removed, template errors
// and the preview as the user types, the filter explained against the mock
// event, Test without leaving the page, paths inserted from the schema.
// Every page works without it. Text from the server is set with
// textContent; HTML comes only from the console's own templates.
"use strict";

(function () {
  const form = document.getElementById("webhook-form");
  if (!form) return;
  const base = document.body.dataset.base || "";

  function post(path, extra) {
    const data = new FormData(form);
    const body = new URLSearchParams();
    for (const [k, v] of data) body.append(k, v);
    return fetch(base + path, {
      method: "POST",
      body: body,
      headers: Object.assign({ "X-Console-Fragment": "1" }, extra || {}),
      credentials: "same-origin",
    });
  }

  function debounce(fn, ms) {
    let t;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  // Rows: add from the <template>, numbered after the highest so far.
  form.addEventListener("click", function (ev) {
    const add = ev.target.closest("[data-add]");
    if (add) {
      const name = add.dataset.add;
      const list = form.querySelector('[data-rows="' + name + '"]');
      const tpl = document.getElementById(name + "-template");
      let next = 0;
      list.querySelectorAll("[data-row]").forEach(function (r) {
        next = Math.max(next, Number(r.dataset.row) + 1);
      });
      const html = tpl.innerHTML.split("__i__").join(String(next));
      const holder = document.createElement("div");
      holder.innerHTML = html; // the console's own template, no user data
      const row = holder.firstElementChild;
      list.appendChild(row);
      const first = row.querySelector("[data-focus]") || row.querySelector("input, select, textarea");
      if (first) first.focus();
      changed();
      return;
    }
    const remove = ev.target.closest("[data-remove]");
    if (remove) {
      const row = remove.closest("[data-row]");
      const list = row.parentElement;
      row.remove();
      const button = form.querySelector('[data-add="' + list.dataset.rows + '"]');
      if (button) button.focus();
      changed();
    }
  });

  // The template: errors at their line and column, and the preview.
  const template = document.getElementById("body_template");
  const status = document.getElementById("template-status");
  const preview = document.getElementById("template-preview");
  function showErrors(target, errors) {
    target.textContent = "";
    for (const e of errors) {
      const p = document.createElement("p");
      p.className = "field-error";
      p.textContent = (e.line ? "Line " + e.line + ", column " + e.column + ": " : "") + e.message;
      if (e.line && e.field === "body_template") {
        const go = document.createElement("button");
        go.type = "button";
        go.className = "small goto";
        go.textContent = "Go to line " + e.line;
        go.addEventListener("click", function () {
          selectPosition(template, e.line, e.column);
        });
        p.append(" ", go);
      }
      target.appendChild(p);
    }
  }

  // selectPosition puts the cursor at a line and column of a textarea;
  // the column counts UTF-8 bytes, as the server's errors do.
  function selectPosition(area, line, column) {
    const lines = area.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    const text = lines[Math.min(line, lines.length) - 1] || "";
    const encoder = new TextEncoder();
    let bytes = 0, chars = 0;
    for (const ch of text) {
      if (bytes >= column - 1) break;
      bytes += encoder.encode(ch).length;
      chars += ch.length;
    }
    area.focus();
    area.setSelectionRange(offset + chars, offset + chars);
  }
  let previewSeq = 0;
  async function refreshPreview() {
    const seq = ++previewSeq;
    let answer;
    try {
      answer = await (await post("/live/preview")).json();
    } catch (err) {
      return; // the next keystroke asks again
    }
    if (seq !== previewSeq) return;
    if (answer.limited) {
      status.textContent = answer.limited;
      return;
    }
    if (answer.ok) {
      template.removeAttribute("aria-invalid");
      status.textContent = "";
      const ok = document.createElement("p");
      ok.className = "field-ok";
      ok.textContent = "The template renders valid JSON.";
      status.appendChild(ok);
      let text = answer.text;
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch (e) {
        // shown as rendered
      }
      preview.textContent = text;
    } else {
      template.setAttribute("aria-invalid", "true");
      showErrors(status, answer.errors || []);
    }
  }
  const previewSoon = debounce(refreshPreview, 300);
  if (template) template.addEventListener("input", previewSoon);

  // The filter, explained against the mock event.
  const explanation = document.getElementById("filter-explanation");
  const explain = document.getElementById("explain");
  let explainSeq = 0;
  async function refreshExplanation() {
    const seq = ++explainSeq;
    let answer;
    try {
      answer = await (await post("/live/explain")).json();
    } catch (err) {
      return;
    }
    if (seq !== explainSeq) return;
    if (answer.limited) {
      explanation.textContent = answer.limited;
    } else if (answer.ok) {
      explanation.textContent = answer.text;
      explanation.className = "live-status " + (answer.matches ? "match" : "no-match");
    } else {
      showErrors(explanation, answer.errors || []);
      explanation.className = "live-status";
    }
  }
  const explainSoon = debounce(refreshExplanation, 400);
  if (explain) {
    explain.hidden = false;
    explain.addEventListener("click", refreshExplanation);
  }
  const filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("input", explainSoon);
    filters.addEventListener("change", explainSoon);
  }

  function changed() {
    explainSoon();
  }

  const mock = document.getElementById("mock_trigger");
  const schemas = document.querySelectorAll(".schema-of");
  function showSchema() {
    schemas.forEach(function (s) {
      s.hidden = mock && s.dataset.trigger !== mock.value;
    });
  }
  if (mock) {
    mock.addEventListener("change", function () {
      showSchema();
      refreshPreview();
      refreshExplanation();
    });
  }
  showSchema();

  // The schema panel inserts a field's path where the cursor is.
  document.querySelectorAll("button.insert").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      const text = b.dataset.insert;
      const start = template.selectionStart, end = template.selectionEnd;
      template.setRangeText(text, start, end, "end");
      template.focus();
      previewSoon();
    });
  });

  // A button that posts the form to path and shows the console's answer
  // in place: busy while it waits, failed (with why) when no fragment of
  // the console's came back.
  function answerInPlace(button, result, path, busy, failed) {
    button.addEventListener("click", async function (ev) {
      ev.preventDefault();
      button.disabled = true;
      result.textContent = busy;
      try {
        const res = await post(path());
        if (!res.ok || res.redirected || res.headers.get("X-Console-Fragment") !== "1") {
          // Only the console's own fragment is inserted as HTML.
          result.textContent = failed + ": the console answered " + res.status +
            (res.redirected ? " from another page (has the session ended?)" : "") + ".";
          return;
        }
        result.innerHTML = await res.text(); // rendered and escaped by the console's templates
      } catch (err) {
        result.textContent = failed + ": the console could not be reached.";
      } finally {
        button.disabled = false;
      }
    });
  }

  // Test without leaving the page: the form, saved or not, with the mock.
  answerInPlace(document.getElementById("test-button"), document.getElementById("test-result"),
    () => "/test", "Testing…", "Test failed");

  // Gate calls the saved webhook as a flow's condition, with the mock.
  const gateButton = document.getElementById("gate-button");
  const gateResult = document.getElementById("gate-result");
  if (gateButton && gateResult) {
    answerInPlace(gateButton, gateResult, () => gateButton.dataset.path, "Calling the gate…", "Gate call failed");
  }

  // The target: a URL or one of the service's actions.
  const targets = form.querySelectorAll('input[name="target"]');
  function showTarget() {
    const chosen = form.querySelector('input[name="target"]:checked');
    if (!chosen) return;
    form.querySelectorAll("[data-target]").forEach(function (el) {
      el.hidden = el.dataset.target !== chosen.value;
    });
  }
  targets.forEach(function (r) {
    r.addEventListener("change", showTarget);
  });
  showTarget();

  // Authentication: the OAuth client's fields show when OAuth is chosen.
  const auths = form.querySelectorAll('input[name="auth"]');
  function showAuth() {
    const chosen = form.querySelector('input[name="auth"]:checked');
    if (!chosen) return;
    form.querySelectorAll("[data-auth]").forEach(function (el) {
      el.hidden = el.dataset.auth !== chosen.value;
    });
  }
  auths.forEach(function (r) {
    r.addEventListener("change", showAuth);
  });
  showAuth();

  if (template && template.value !== "") refreshPreview();
  if (filters) refreshExplanation();
})();
