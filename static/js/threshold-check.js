// "Check the threshold": updates the result panel as the user ticks, without reloading the page.
// The page works without it (the "Check the level" button submits the same GET form). The server
// answers `partial=1` with the result panel only; the update is announced in a polite live region.
const form = document.getElementById("threshold-check-form");
const result = document.getElementById("threshold-result");
const status = document.getElementById("threshold-check-status");

if (form && result && status && "fetch" in window) {
  let controller = null;
  let timer = null;

  const update = async () => {
    const query = new URLSearchParams(new FormData(form));
    const partial = new URLSearchParams(query);
    partial.set("partial", "1");
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    try {
      const response = await fetch(`${form.action}?${partial}`, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: controller.signal,
      });
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
      result.innerHTML = await response.text();
      // The address stays shareable: it now holds the answers, as after pressing the button.
      window.history.replaceState(null, "", `${form.action}?${query}`);
      const panel = result.querySelector("[data-announcement]");
      status.textContent = panel ? panel.dataset.announcement : "";
    } catch (error) {
      if (error.name !== "AbortError") {
        status.textContent = "The result could not be updated. Press \u201cCheck the level\u201d to see it.";
      }
    }
  };

  form.addEventListener("change", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 150);
  });
}
