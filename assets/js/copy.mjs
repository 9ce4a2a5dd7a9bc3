// Copy buttons, added by script so that without it nothing is offered that cannot
// work: each element with data-copy-label gets a button after it that copies its
// text (an input's value) with the Clipboard API
// (https://developer.mozilla.org/docs/Web/API/Clipboard/writeText) and says so in
// a status region. The text itself stays on the page, selectable.
function copyButton(source) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small app-copy";
  button.textContent = source.dataset.copyLabel;
  if (source.dataset.copyContext) {
    const context = document.createElement("span");
    context.className = "nhsuk-u-visually-hidden";
    context.textContent = ` ${source.dataset.copyContext}`;
    button.append(context);
  }
  const status = document.createElement("span");
  status.className = "app-copy-status";
  status.setAttribute("role", "status");
  button.addEventListener("click", async () => {
    const text = "value" in source ? source.value : source.textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Copied";
    } catch {
      if (source.select) source.select();
      status.textContent = "Could not copy: select the text and copy it yourself";
    }
  });
  source.after(button, status);
}

if (navigator.clipboard) {
  document.querySelectorAll("[data-copy-label]").forEach(copyButton);
}
