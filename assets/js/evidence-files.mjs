// The evidence form's files, enhanced: files dropped on the file field's area are
// added to those already chosen (through a DataTransfer,
// https://developer.mozilla.org/docs/Web/API/DataTransfer); what was chosen is listed
// with its size, saying before saving which files will be refused (too large, or a
// type that is not accepted) so nothing typed is lost to a refused save; and on a
// touch screen "Take a photo" is offered (an input with capture="environment",
// https://developer.mozilla.org/docs/Web/HTML/Reference/Attributes/capture).
// Without this script the plain file inputs work as they are.
const form = document.querySelector("[data-evidence-form]");

function sizeText(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
}

function setUp() {
  const list = form.querySelector("[data-file-list]");
  const inputs = [...form.querySelectorAll('input[type="file"]')];
  const main = inputs.find((input) => input.dataset.allowedTypes);
  const allowed = (main?.dataset.allowedTypes || "").split(",");
  const limit = Number(form.dataset.maxUploadMb) * 1024 * 1024;
  const maxFiles = Number(form.dataset.maxFiles);

  const camera = form.querySelector("[data-camera]");
  if (camera && window.matchMedia("(pointer: coarse)").matches) {
    camera.hidden = false;
  }

  function refresh() {
    const files = inputs.flatMap((input) => [...(input.files || [])]);
    list.replaceChildren();
    files.forEach((file, index) => {
      const item = document.createElement("li");
      const problems = [];
      if (file.size > limit) problems.push(`larger than the ${form.dataset.maxUploadMb} MB limit`);
      if (file.type && !allowed.includes(file.type)) {
        problems.push("not a PDF, Word (.docx), PNG or JPEG file");
      }
      if (index >= maxFiles) problems.push(`more than ${maxFiles} files at a time`);
      item.textContent = `${file.name} (${sizeText(file.size)})`;
      if (problems.length) {
        const warning = document.createElement("strong");
        warning.className = "app-file-list__problem";
        warning.textContent = ` will not be added: ${problems.join(", ")}`;
        item.append(warning);
      }
      list.append(item);
    });
  }

  inputs.forEach((input) => input.addEventListener("change", refresh));

  const zone = form.querySelector("[data-drop-zone]");
  if (zone && main && typeof DataTransfer === "function") {
    zone.querySelector("[data-drop-hint]").hidden = false;
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("app-drop-zone--active");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("app-drop-zone--active"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("app-drop-zone--active");
      const chosen = new DataTransfer();
      [...(main.files || []), ...event.dataTransfer.files].forEach((file) =>
        chosen.items.add(file),
      );
      main.files = chosen.files;
      refresh();
    });
  }
}

if (form) setUp();
