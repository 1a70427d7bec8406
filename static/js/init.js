// Starts GOV.UK Frontend's components (error summary focus, header menu, skip link...).
// Every page works without it.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
