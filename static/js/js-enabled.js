// Tells GOV.UK Frontend's CSS that JavaScript runs here (kept in a file: no inline scripts, for the CSP).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
