import { initAll } from "/static/nhsuk/nhsuk-frontend.min.js";

initAll();
