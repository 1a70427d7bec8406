// The timeout warning (issue 14; GOV.UK's timeout warning pattern): two minutes before the session
// ends, an accessible modal dialog says so and offers to stay signed in. It asks the server how long
// is left (another tab may have kept the session going) without moving the session's expiry. If the
// session ends anyway, the page goes to the sign-in page and back to this page afterwards: a form's
// draft (saved as the person typed, and once more now) is given back there.
const WARN_BEFORE_S = 120;

const config = document.getElementById("app-session");
const dialog = document.getElementById("app-timeout-warning");

if (config && dialog && typeof dialog.showModal === "function") {
  const idle = Number(config.dataset.idleSeconds);
  const countdown = dialog.querySelector("[data-countdown]");
  const stay = dialog.querySelector("[data-stay]");
  let endsAt = Date.now() + idle * 1000;
  let check = null;
  let lastSave = null;
  let ending = null;
  let tick = null;
  let returnFocus = null;

  function minutesText(seconds) {
    if (seconds > 60) return Math.ceil(seconds / 60) + " minutes";
    return seconds <= 1 ? "1 second" : seconds + " seconds";
  }

  async function secondsLeft() {
    const response = await fetch(config.dataset.timeLeftUrl, { credentials: "same-origin", redirect: "manual" });
    if (!response.ok) return 0;
    return (await response.json()).seconds;
  }

  function signedOut() {
    const next = window.location.pathname + window.location.search;
    window.location.assign(config.dataset.signInUrl + "?next=" + encodeURIComponent(next));
  }

  function schedule(seconds) {
    clearTimeout(check);
    endsAt = Date.now() + seconds * 1000;
    check = setTimeout(warnIfDue, Math.max(0, (seconds - WARN_BEFORE_S) * 1000));
  }

  function update() {
    countdown.textContent = minutesText(Math.max(0, Math.round((endsAt - Date.now()) / 1000)));
  }

  function expire(left) {
    // The last autosave while the session still holds, then the sign-in page once it has ended (going
    // there before would bring the person straight back, signed in for another half hour).
    lastSave = setTimeout(() => document.dispatchEvent(new Event("app:save-drafts-now")), Math.max(0, left - 3) * 1000);
    ending = setTimeout(signedOut, (left + 2) * 1000);
  }

  async function warnIfDue() {
    const left = await secondsLeft();
    if (left > WARN_BEFORE_S + 5) return schedule(left); // used in another tab meanwhile
    endsAt = Date.now() + left * 1000;
    document.dispatchEvent(new Event("app:save-drafts-now"));
    returnFocus = document.activeElement;
    update();
    dialog.showModal();
    stay.focus();
    tick = setInterval(update, 20000); // the live region is read out each time: not every second
    clearTimeout(check);
    expire(left);
  }

  async function staySignedIn() {
    const token = document.querySelector("#sign-out-form input[name=csrfmiddlewaretoken]").value;
    const response = await fetch(config.dataset.stayUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": token },
    });
    clearInterval(tick);
    clearTimeout(lastSave);
    clearTimeout(ending);
    dialog.close();
    if (returnFocus) returnFocus.focus();
    if (!response.ok) return signedOut();
    schedule((await response.json()).seconds);
  }

  stay.addEventListener("click", staySignedIn);
  dialog.addEventListener("cancel", (event) => { // Escape is "stay signed in", as GOV.UK's pattern says
    event.preventDefault();
    staySignedIn();
  });
  schedule(idle);
}
