// The console's only script, served by the web server itself (the CSP allows scripts from it alone).
'use strict';

// Each ```mermaid block of an ERD document is its own <pre class="mermaid">, drawn here by the bundled Mermaid.
function drawDiagrams() {
  if (window.mermaid && document.querySelector('pre.mermaid:not([data-processed])'))
    window.mermaid.run({ querySelector: 'pre.mermaid:not([data-processed])' });
}
if (window.mermaid) window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
drawDiagrams();

// A running request's page follows it: the server sends the re-rendered live part as server-sent events.
const live = document.querySelector('[data-events]');
if (live && window.EventSource) {
  const events = new EventSource(live.getAttribute('data-events'));
  events.addEventListener('status', (event) => {
    // The fragment is HTML the server rendered and escaped, as the page itself.
    live.innerHTML = JSON.parse(event.data).html;
    drawDiagrams();
  });
  events.addEventListener('end', () => events.close());
}
