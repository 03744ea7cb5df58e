// Run reports: GET /api/reports/{dcf|lbo|ma}?run_id=…&format=pdf|html with the bearer token and
// tenant header like every API call, saved through an object URL (a download needs no script,
// style or frame permission, so it works under the console's CSP). An error answer (a 404 while
// the reports service is not deployed, a 403, a 429…) is shown in the row that asked.

import { api } from './api.js';
import { showError, showInfo, hideSlot, h, busy } from './ui.js';

function filename(kind, label, runId, format) {
  const safe = String(label || kind).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || kind;
  return `valor-${kind}-${safe}-${String(runId).slice(0, 8)}.${format}`;
}

export async function downloadReport(kind, runId, format, label, slot, btn) {
  return busy(btn, async () => {
    hideSlot(slot);
    try {
      const res = await api(`/api/reports/${kind}?run_id=${encodeURIComponent(runId)}&format=${format}`, {
        raw: true, headers: { Accept: format === 'pdf' ? 'application/pdf' : 'text/html' },
      });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: filename(kind, label, runId, format), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60000);
      showInfo(slot, `${format.toUpperCase()} report downloaded.`, 'ok');
    } catch (e) {
      const err = e;
      if (err.status === 404 && err.message === 'Not found') {
        err.message = 'Reports are not available on this server (404 Not found)';
      } else if (err.status) {
        err.message = `${format.toUpperCase()} report: ${err.message} (${err.status})`;
      }
      showError(slot, err, { lockButtons: [btn] });
    }
  });
}

export function reportButtons(kind, run, label, slot) {
  const pdf = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { report: 'pdf' },
    'aria-label': `Download the PDF report of ${label}` }, 'PDF');
  const html = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { report: 'html' },
    'aria-label': `Download the HTML report of ${label}` }, 'HTML');
  pdf.addEventListener('click', () => downloadReport(kind, run.run_id, 'pdf', label, slot, pdf));
  html.addEventListener('click', () => downloadReport(kind, run.run_id, 'html', label, slot, html));
  return [pdf, html];
}
