// The outcome picker's search, in the browser: typing in "Find outcomes" filters the
// tree (curriculum > module > outcomes) as you type, opening the headings that hold a
// match, with no page reload. Every word must appear in the outcome's code, title or
// description, as in the server's search.
// Without this script the search button asks the server, as it always did.
const tree = document.querySelector("[data-outcome-tree]");
const search = document.querySelector('input[name="q"]');

function setUp() {
  const status = document.querySelector("[data-tree-status]");
  const server = document.querySelector("[data-server-search]");
  if (server) server.hidden = true;
  const items = [...tree.querySelectorAll("[data-picker-item]")];
  const branches = [...tree.querySelectorAll("[data-picker-branch]")];
  const opened = new Map(branches.map((branch) => [branch, branch.open]));

  function filter() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) {
      items.forEach((item) => {
        item.hidden = false;
        item.parentElement.hidden = false;
      });
      branches.forEach((branch) => {
        branch.hidden = false;
        branch.open = opened.get(branch) || Boolean(branch.querySelector("input:checked"));
      });
      status.textContent = "";
      return;
    }
    let matches = 0;
    items.forEach((item) => {
      const hit = words.every((word) => item.dataset.search.includes(word));
      item.hidden = !hit;
      if (item.parentElement.classList.contains("nhsuk-checkboxes")) {
        item.parentElement.hidden = !hit;
      }
      if (hit) matches += 1;
    });
    // Deepest first, so a heading knows whether anything below it is showing.
    [...branches].reverse().forEach((branch) => {
      const showing = [...branch.querySelectorAll("[data-picker-item]")].some(
        (item) => !item.hidden,
      );
      branch.hidden = !showing;
      branch.open = showing;
    });
    status.textContent =
      matches === 0
        ? `No outcomes match “${search.value.trim()}”. Try fewer words, or a code.`
        : `${matches} outcome${matches === 1 ? "" : "s"} match${matches === 1 ? "es" : ""}`;
  }

  search.addEventListener("input", filter);
  search.addEventListener("keydown", (event) => {
    // Enter would submit the form: here it only filters.
    if (event.key === "Enter") event.preventDefault();
  });
  if (search.value) filter();
}

if (tree && search) setUp();
