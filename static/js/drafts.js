// Keeps what is typed into a long form as the person types (accounts/drafts.py, issue 14): a few
// seconds after they stop typing, and when they leave a field, the form's fields go to the
// server as their draft, and a quiet status says "Saved at 10:42am". The form carries the signed
// token naming the person, the form and its record (input[name=_form_keeper]); without JavaScript,
// every submit is kept instead. The request never keeps the session alive: only what the person
// does on a page does that (accounts/session_expiry.py).
const DEBOUNCE_MS = 3000;

function autosaveForm(form, url) {
  const status = document.createElement("p");
  status.className = "govuk-body-s app-autosave-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const button = form.querySelector("button[type=submit], .govuk-button");
  (button ? button.parentNode : form).insertBefore(status, button ? button.nextSibling : null);

  let timer = null;
  let dirty = false;
  let inFlight = false;

  async function save() {
    clearTimeout(timer);
    if (!dirty || inFlight) return;
    dirty = false;
    inFlight = true;
    const data = new FormData(form);
    try {
      const response = await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual", // signed out: the sign-in page's redirect, not its HTML
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
      });
      if (response.ok) {
        const answer = await response.json();
        status.textContent = "Saved at " + answer.saved_at;
      } else if (response.type === "opaqueredirect" || response.status === 403) {
        status.textContent = "Not saved: you have been signed out. Press the button to save: what you typed is kept.";
      } else {
        dirty = true;
        status.textContent = "Not saved just now. We will try again.";
      }
    } catch (error) {
      dirty = true;
      status.textContent = "Not saved: the service cannot be reached. We will try again.";
    } finally {
      inFlight = false;
    }
  }

  function changed() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", save); // moving between fields saves at once
  form.addEventListener("submit", () => clearTimeout(timer));
  document.addEventListener("app:save-drafts-now", save); // the timeout warning asks before it signs out
}

const config = document.getElementById("app-session");
if (config) {
  for (const form of document.querySelectorAll("form")) {
    if (form.querySelector("input[name=_form_keeper]")) autosaveForm(form, config.dataset.autosaveUrl);
  }
}
