// A report's progress while its job runs: the element with data-report-progress
// (the address of the job's state as JSON) gets its message and progress bar
// updated every 1.5 seconds; when the job has finished the page is loaded again,
// which then offers the file (or says what went wrong). Without this script the
// page refreshes itself (a <noscript> refresh), so it works either way.
const INTERVAL_MS = 1500;

function describe(state) {
  if (state.status === "queued") return "Waiting to start.";
  return `Making your report: ${state.progress}% done.`;
}

function watch(box) {
  const message = box.querySelector("[data-report-message]");
  const bar = box.querySelector("progress");
  async function poll() {
    let state;
    try {
      const response = await fetch(box.dataset.reportProgress, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      state = await response.json();
    } catch {
      // A dropped connection or a restart: try again at the next tick.
      window.setTimeout(poll, INTERVAL_MS * 2);
      return;
    }
    if (state.finished) {
      window.location.reload();
      return;
    }
    const text = describe(state);
    if (message.textContent !== text) message.textContent = text;
    bar.value = state.progress;
    bar.textContent = `${state.progress}%`;
    window.setTimeout(poll, INTERVAL_MS);
  }
  window.setTimeout(poll, INTERVAL_MS);
}

document.querySelectorAll("[data-report-progress]").forEach(watch);
