// The chat on another website: a button in the page's corner that opens
// the chat in a floating frame. A centre puts on its site:
//
//   <script src="https://shakwa.example.gov.ae/chat/static/widget.js" data-lang="ar" defer></script>
//
// Its site's origin must be in the config's web.embed_origins. The words
// (the button's name) come from the chat's server.
'use strict';

(() => {
  const me = document.currentScript;
  if (!me) {
    return;
  }
  const origin = new URL(me.src).origin;
  const lang = (me.dataset.lang || document.documentElement.lang || 'ar').slice(0, 2).toLowerCase();
  const rtl = lang === 'ar';
  const colour = /^#[0-9a-f]{6}$/i.test(me.dataset.colour || '') ? me.dataset.colour : '#0b6b57';
  const side = rtl ? 'left' : 'right';

  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-expanded', 'false');
  button.dataset.shakwa = 'open';
  Object.assign(button.style, {
    position: 'fixed', bottom: '1rem', [side]: '1rem', zIndex: '2147483000', width: '3.5rem', height: '3.5rem',
    border: '0', borderRadius: '50%', background: colour, color: '#fff', cursor: 'pointer',
    boxShadow: '0 6px 20px rgba(0,0,0,.25)', display: 'flex', alignItems: 'center', justifyContent: 'center',
  });
  button.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false" fill="currentColor">' +
    '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

  let frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = `${origin}/chat?embed=1&lang=${encodeURIComponent(lang)}`;
      frame.title = button.getAttribute('aria-label') || '';
      frame.allow = 'clipboard-write';
      frame.dataset.shakwa = 'frame';
      const small = window.matchMedia('(max-width: 30rem)').matches;
      Object.assign(frame.style, small ? {
        position: 'fixed', inset: '0', width: '100%', height: '100%', border: '0', zIndex: '2147483001', background: '#fff',
      } : {
        position: 'fixed', bottom: '5.5rem', [side]: '1rem', width: 'min(24rem, calc(100vw - 2rem))',
        height: 'min(40rem, calc(100vh - 7rem))', border: '0', borderRadius: '1rem', zIndex: '2147483001',
        boxShadow: '0 10px 40px rgba(0,0,0,.3)', background: '#fff',
      });
      document.body.append(frame);
    }
    frame.hidden = false;
    frame.style.display = '';
    button.setAttribute('aria-expanded', 'true');
  }
  function close() {
    if (frame) {
      frame.style.display = 'none';
    }
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  button.addEventListener('click', () => (button.getAttribute('aria-expanded') === 'true' ? close() : open()));
  window.addEventListener('message', (e) => {
    if (e.origin === origin && e.data && e.data.shakwa === 'close') {
      close();
    }
  });

  fetch(`${origin}/chat/api/labels?lang=${encodeURIComponent(lang)}`)
    .then((r) => r.json())
    .then((labels) => {
      button.setAttribute('aria-label', labels.open_chat || '');
      button.title = labels.open_chat || '';
      if (frame) {
        frame.title = labels.open_chat || '';
      }
    })
    .catch(() => {});
  document.body.append(button);
})();
