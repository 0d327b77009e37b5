// The web chat page. Every word shown comes from the server: the bot's
// messages, or the page's labels (/chat/api/labels). Message text is only
// ever set with textContent.
'use strict';

(() => {
  const body = document.body;
  const base = body.dataset.base;
  const lang = body.dataset.lang;
  const botName = body.dataset.name || '';
  const maxText = parseInt(body.dataset.maxText, 10) || 0;
  let labels = {};

  // The configured colour, and a darker one for pressed states.
  if (/^#[0-9a-f]{6}$/i.test(body.dataset.colour || '')) {
    const c = body.dataset.colour;
    const dark = '#' + [1, 3, 5].map((i) => Math.round(parseInt(c.slice(i, i + 2), 16) * 0.72)
      .toString(16).padStart(2, '0')).join('');
    document.documentElement.style.setProperty('--accent', c);
    document.documentElement.style.setProperty('--accent-strong', dark);
  }

  // The page is as tall as what is visible: with the on-screen keyboard
  // open that is less than the window, and the composer must stay in view.
  function fitViewport() {
    const h = window.visualViewport ? window.visualViewport.height : window.innerHeight;
    document.documentElement.style.setProperty('--app-height', `${Math.round(h)}px`);
  }
  fitViewport();
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', fitViewport);
  }
  window.addEventListener('resize', fitViewport);

  const timeFormat = new Intl.DateTimeFormat(lang === 'ar' ? 'ar-AE-u-nu-latn' : 'en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

  // The draft in the box survives a reload (and a switch of language).
  const draftKey = 'shakwa:draft';
  // Texts written but not taken when the session ended, oldest first: the
  // page that reloads puts them back in the box.
  const unsentKey = 'shakwa:unsent';
  // A staff pane keeps both under keys of its own, after the person and
  // the chat (shakwa:staff:PERSON:draft:CHAT), so that one staff member's
  // words never reach another signing in on the same tab (forgetOthers).
  const staffKept = 'shakwa:staff:';

  const maxBackoff = 30000;
  const nearEnd = 80; // px from the end of the log that count as "at the end"

  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') {
        e.className = v;
      } else if (k === 'text') {
        e.textContent = v;
      } else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'dir' || k === 'role') {
        e.setAttribute(k, v);
      } else {
        e[k] = v;
      }
    }
    e.append(...children);
    return e;
  }

  // clip keeps the first n characters of text as a reader counts them: an
  // emoji, a flag or a letter with its marks is never cut in two.
  const graphemes = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(lang, { granularity: 'grapheme' }) : null;
  function clip(text, n) {
    const parts = graphemes ? Array.from(graphemes.segment(text), (s) => s.segment) : Array.from(text);
    return parts.length > n ? parts.slice(0, n).join('') + '…' : text;
  }

  // Connection status and toasts, shared by the panes.

  const statusBar = document.querySelector('[data-testid=status]');
  const down = new Set(); // panes whose stream is being restored

  // The session: it worked once the server took it (a stream got ready or
  // a message was taken). Refused before then, the browser is not keeping
  // the cookie the page was given (cookies blocked, or a third-party frame
  // that may not keep them): reloading would only do the same again, so
  // the page says so and stays. Refused after, the session ended, and a
  // reload starts a new one (on the staff panel the session or the staff
  // sign-in ended: the reload asks to sign in again).
  let sessionWorked = false;
  let cookiesRefused = false;
  let reloading = false;

  function sessionRefused() {
    if (reloading) {
      return;
    }
    if (sessionWorked) {
      reloading = true;
      for (const p of panes) {
        p.keepUnsent();
      }
      window.location.reload();
      return;
    }
    cookiesRefused = true;
    showStatus();
  }

  function showStatus() {
    let text = '';
    if (cookiesRefused) {
      text = labels.cookies_needed;
    } else if (!navigator.onLine) {
      text = labels.connection_lost;
    } else if (down.size > 0) {
      text = labels.reconnecting;
    }
    statusBar.textContent = text || '';
    if (cookiesRefused && window.top !== window.self) {
      // In another site's frame: the chat's own tab keeps its cookie.
      const u = new URL(window.location.href);
      u.searchParams.delete('embed');
      statusBar.append(' ', el('a', { href: u.toString(), target: '_blank', rel: 'noopener',
        'data-testid': 'open-tab', text: labels.open_in_tab || '' }));
    }
    statusBar.dataset.state = cookiesRefused ? 'cookies' : '';
    statusBar.hidden = !text;
  }

  const toastBox = document.querySelector('[data-testid=toast]');
  let toastTimer = 0;
  // Set once a pane put back what an ended session did not take: the
  // notices a pane's backlog replays (answers to presses made before the
  // page loaded) then no longer hide the word that says so.
  let unsentToasted = false;

  function toast(text) {
    if (!text) {
      return;
    }
    toastBox.textContent = text;
    toastBox.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toastBox.hidden = true; }, 5000);
  }

  // A Pane is one live conversation: its log, its composer and its queue
  // of messages to send, in order, each retried with the same id until the
  // server takes it.
  class Pane {
    constructor(parent, opts) {
      this.as = opts.as || '';
      this.chat = opts.chat || '';
      this.draftKey = this.as ? `${staffKept}${this.as}:draft:${this.chat}` : draftKey;
      this.unsentKey = this.as ? `${staffKept}${this.as}:unsent:${this.chat}` : unsentKey;
      const tpl = document.getElementById('pane-template');
      this.root = tpl.content.firstElementChild.cloneNode(true);
      this.root.dataset.chat = this.chat;
      this.q = (id) => this.root.querySelector(`[data-testid=${id}]`);
      this.log = this.q('log');
      this.input = this.q('input');
      this.jump = this.q('jump');
      this.fileInput = this.q('attach');
      this.phoneForm = this.q('phone-form');
      this.phone = this.q('phone');
      this.counter = this.q('counter');
      this.replying = this.q('replying');
      this.replyTo = null; // {id, text}: the bot message the next text answers
      this.follow = true; // the log follows new messages while read at its end
      this.ready = false;
      if (opts.title) {
        const title = this.q('pane-title');
        title.textContent = opts.title;
        title.id = `pane-${newId()}`;
        title.hidden = false;
        this.root.setAttribute('aria-labelledby', title.id);
      }
      this.byId = new Map(); // mail id -> bubble (edits replace it)
      this.byClient = new Map(); // client id -> own bubble
      this.seen = new Set();
      this.lastId = '';
      this.queue = [];
      this.sending = false;
      this.backoff = 1000;
      this.sendBackoff = 1000;
      this.file = null;
      this.wire();
      parent.append(this.root);
      this.connect();
    }

    wire() {
      this.q('composer').addEventListener('submit', (e) => {
        e.preventDefault();
        this.submit();
      });
      this.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      });
      this.input.addEventListener('input', () => {
        this.resize();
        this.count();
        try { sessionStorage.setItem(this.draftKey, this.input.value); } catch (e) { /* private mode */ }
      });
      this.q('replying-cancel').addEventListener('click', () => {
        this.setReplyTo(null);
        this.input.focus();
      });
      // A picture that loads makes the log taller: one that was followed
      // to its end is kept there.
      this.log.addEventListener('load', () => {
        if (this.follow) {
          this.log.scrollTop = this.log.scrollHeight;
        }
      }, true);
      this.fileInput.addEventListener('change', () => this.chooseFile(this.fileInput.files[0]));
      this.q('remove-file').addEventListener('click', () => {
        this.clearFile();
        this.input.focus();
      });
      this.phoneForm.addEventListener('submit', (e) => {
        e.preventDefault();
        this.submitPhone();
      });
      this.jump.addEventListener('click', () => {
        this.scrollToEnd();
        this.log.focus();
      });
      this.log.addEventListener('scroll', () => {
        this.follow = this.atEnd();
        if (this.follow) {
          this.jump.hidden = true;
        }
      });
    }

    destroy() {
      this.closed = true;
      if (this.es) {
        this.es.close();
      }
      clearTimeout(this.reconnectTimer);
      clearTimeout(this.pumpTimer);
      down.delete(this);
      showStatus();
      this.root.remove();
    }

    // The live stream.

    eventsURL() {
      const q = new URLSearchParams();
      if (this.as) {
        q.set('as', this.as);
        q.set('chat', this.chat);
      }
      if (this.lastId) {
        q.set('after', this.lastId);
      }
      q.set('lang', lang); // the greeting of a new chat is in the page's language
      return `${base}/api/events?${q}`;
    }

    connect() {
      if (this.closed) {
        return;
      }
      this.log.setAttribute('aria-busy', 'true');
      const es = new EventSource(this.eventsURL());
      this.es = es;
      es.onopen = () => {
        this.backoff = 1000;
        this.setDown(false);
      };
      es.onmessage = (e) => this.receive(e.lastEventId, e.data);
      es.addEventListener('ready', () => {
        sessionWorked = true;
        this.log.setAttribute('aria-busy', 'false');
        this.root.dataset.ready = 'true';
        this.ready = true;
        if (this.follow) {
          this.log.scrollTop = this.log.scrollHeight;
        }
      });
      es.onerror = () => {
        this.setDown(true);
        if (es.readyState === EventSource.CLOSED) {
          // The browser gave up (the server refused): find out why, then
          // try again later.
          es.close();
          this.probe();
        }
      };
    }

    async probe() {
      const ctl = new AbortController();
      let status = 0;
      try {
        const res = await fetch(this.eventsURL(), { signal: ctl.signal, credentials: 'same-origin' });
        status = res.status;
        ctl.abort();
      } catch (e) {
        status = 0;
      }
      if (this.closed) {
        return;
      }
      if (status === 401) {
        sessionRefused();
        return;
      }
      if (status === 403) {
        return;
      }
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, maxBackoff);
    }

    setDown(isDown) {
      if (isDown) {
        down.add(this);
      } else {
        down.delete(this);
      }
      showStatus();
    }

    receive(id, raw) {
      let m;
      try {
        m = JSON.parse(raw);
      } catch (e) {
        return;
      }
      if (id) {
        if (this.seen.has(id)) {
          return;
        }
        this.seen.add(id);
        this.lastId = id;
      }
      if (m.notice) {
        if (this.ready || !unsentToasted) {
          toast(m.text);
        }
        return;
      }
      if (m.retract) {
        this.receiveRetract(m);
        return;
      }
      if (m.mine) {
        this.receiveMine(id, m);
        return;
      }
      if (this.ready && !this.as && m.lang && m.lang !== lang) {
        // The citizen chose another language in the chat: the page follows.
        switchLang(m.lang, this.input.value);
      }
      const old = m.edit_of && this.byId.get(m.edit_of);
      if (old) {
        this.fill(old, m);
        this.byId.set(id, old);
        if (this.follow) {
          this.log.scrollTop = this.log.scrollHeight;
        }
        return;
      }
      const b = el('div', { class: 'msg bot', 'data-testid': 'bubble', 'data-id': m.edit_of || id });
      const last = this.log.lastElementChild;
      if (botName && !(last && last.classList.contains('bot'))) {
        b.classList.add('first');
      }
      this.fill(b, m);
      this.byId.set(id, b);
      this.add(b, false);
      if (this.onMessage && this.ready) {
        this.onMessage();
      }
    }

    // receiveMine shows what someone wrote in the chat: this pane's own
    // message confirmed, or one from another tab, an earlier visit or (in a
    // group) another person.
    receiveMine(id, m) {
      const own = !this.as || m.from === this.as;
      if (m.button) {
        this.markChosen(m.button);
        return;
      }
      const known = m.client_id && this.byClient.get(m.client_id);
      if (known) {
        // Shown already: sent from this pane (still "pending" until the
        // server says it took it), or echoed twice by a retry.
        known.dataset.id = id;
        if (m.attachments) {
          this.fill(known, m); // the stored file replaces the local preview
        }
        if (known.dataset.state === 'unsent') {
          this.setState(known, 'sent'); // sent again, from the pane that holds it
        }
        return;
      }
      const b = el('div', {
        class: own ? 'msg mine' : 'msg other',
        'data-testid': own ? 'mine' : 'other',
        'data-id': id,
      });
      if (own) {
        b.dataset.state = 'sent';
      }
      if (m.client_id) {
        b.dataset.client = m.client_id;
        this.byClient.set(m.client_id, b);
      }
      this.fill(b, m);
      this.add(b, false);
    }

    // receiveRetract hears that the message of client id m.client_id,
    // whose echo was mail m.retract, was not taken by the bot. The pane
    // that holds it in its queue carries on: it sends it again, and the
    // answer says how that went. Elsewhere (another tab, another pane)
    // one's own message shows as not sent, until the echo of a retry that
    // was taken comes, and someone else's goes; a press is no longer
    // shown chosen. When a later echo of it came already, this is old
    // news.
    receiveRetract(m) {
      if (this.queue.some((it) => it.id === m.client_id)) {
        return;
      }
      if (m.button) {
        this.markChosen(m.button, false);
        return;
      }
      const b = this.byClient.get(m.client_id);
      if (!b || b.dataset.id !== m.retract) {
        return;
      }
      if (b.classList.contains('other')) {
        this.byClient.delete(m.client_id);
        b.remove();
        return;
      }
      this.setState(b, 'unsent');
    }

    // markChosen shows the last button of data as pressed, or (chosen
    // false) no longer so.
    markChosen(data, chosen = true) {
      const bubbles = this.log.querySelectorAll('[data-testid=bubble]');
      for (let i = bubbles.length - 1; i >= 0; i--) {
        for (const b of bubbles[i].querySelectorAll('[data-testid=button]')) {
          if (b.dataset.data === data) {
            b.classList.toggle('chosen', chosen);
            return;
          }
        }
      }
    }

    // fill renders message m into bubble b.
    fill(b, m) {
      b.replaceChildren();
      if (m.name && b.classList.contains('other')) {
        b.append(el('div', { class: 'who', dir: 'auto', text: m.name }));
      } else if (b.classList.contains('first')) {
        b.append(el('div', { class: 'who', dir: 'auto', text: botName }));
      }
      const text = m.text || m.phone;
      if (text) {
        b.append(el('p', { class: 'text', dir: m.text ? 'auto' : 'ltr', text }));
      }
      for (const f of m.attachments || []) {
        b.append(this.attachment(f));
      }
      if ((m.buttons && m.buttons.length) || m.ask_contact) {
        const box = el('div', { class: 'buttons' });
        if (m.ask_contact) {
          const share = el('button', { type: 'button', class: 'choice share', 'data-testid': 'share-phone', text: m.contact_label || '' });
          share.addEventListener('click', () => this.askPhone(m.contact_label || ''));
          box.append(el('div', { class: 'row' }, share));
        }
        for (const row of m.buttons || []) {
          const r = el('div', { class: 'row' });
          for (const btn of row) {
            const button = el('button', { type: 'button', class: 'choice', dir: 'auto', 'data-testid': 'button', 'data-data': btn.data, text: btn.label });
            button.addEventListener('click', () => this.press(btn, button));
            r.append(button);
          }
          box.append(r);
        }
        b.append(box);
      }
      const meta = el('div', { class: 'meta' });
      const at = m.at ? new Date(m.at) : new Date();
      meta.append(el('time', { dateTime: at.toISOString(), text: timeFormat.format(at) }));
      if (this.as && b.classList.contains('bot') && m.text) {
        // The staff's panel answers a message as Telegram's reply does.
        const reply = el('button', { type: 'button', class: 'reply', 'data-testid': 'reply', text: labels.reply || '↩' });
        reply.addEventListener('click', () => {
          this.setReplyTo({ id: b.dataset.id, text: m.text });
          this.input.focus();
        });
        meta.append(reply);
      }
      if (b.classList.contains('mine')) {
        meta.append(el('span', { class: 'state', 'data-testid': 'state' }));
      }
      b.append(meta);
      if (b.dataset.state) {
        this.setState(b, b.dataset.state);
      }
    }

    // setState shows where a message of one's own stands: pending, sent,
    // failed (with a retry), or unsent: not taken, sent from another tab
    // (which retries it).
    setState(b, state) {
      b.dataset.state = state;
      b.classList.toggle('pending', state === 'pending');
      b.classList.toggle('failed', state === 'failed' || state === 'unsent');
      const box = b.querySelector('[data-testid=state]');
      if (!box) {
        return;
      }
      box.replaceChildren();
      if (state === 'sent') {
        box.append(el('span', { class: 'tick', 'aria-label': labels.sent || '', text: '✓' }));
      } else if (state === 'failed') {
        const retry = el('button', { type: 'button', class: 'retry', 'data-testid': 'retry', text: labels.retry || '' });
        retry.addEventListener('click', () => this.retry(b));
        box.append(el('span', { class: 'not-sent', text: labels.not_sent || '' }), retry);
      } else if (state === 'unsent') {
        box.append(el('span', { class: 'not-sent', text: labels.not_sent || '' }));
      }
    }

    setReplyTo(r) {
      this.replyTo = r;
      this.replying.hidden = !r;
      this.replying.querySelector('[data-testid=replying-text]').textContent = r ? clip(r.text.split('\n')[0], 80) : '';
    }

    // count shows how much of the limit the text takes, near it.
    count() {
      if (!maxText) {
        return;
      }
      const n = [...this.input.value].length;
      this.counter.hidden = n < maxText * 0.8;
      this.counter.textContent = `${n}/${maxText}`; // one number run: reads the same both ways
      this.counter.classList.toggle('over', n > maxText);
    }

    attachment(f) {
      const name = f.name || labels.file || '';
      if (f.url && f.kind === 'photo') {
        const img = el('img', { src: f.url, alt: name, loading: 'lazy', 'data-testid': 'photo' });
        return el('a', { class: 'photo', href: f.url, target: '_blank', rel: 'noopener' }, img);
      }
      const svg = 'http://www.w3.org/2000/svg';
      const icon = document.createElementNS(svg, 'svg');
      icon.setAttribute('viewBox', '0 0 24 24');
      icon.setAttribute('aria-hidden', 'true');
      const path = document.createElementNS(svg, 'path');
      path.setAttribute('d', 'M6 2h8l6 6v14H6zm7 1.5V9h5.5');
      icon.append(path);
      const label = el('span', { dir: 'auto', text: name });
      if (f.url) {
        return el('a', { class: 'file', href: f.url, download: '', 'data-testid': 'file' }, icon, label);
      }
      return el('span', { class: 'file', 'data-testid': 'file' }, icon, label);
    }

    atEnd() {
      return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < nearEnd;
    }

    scrollToEnd() {
      this.log.scrollTo({ top: this.log.scrollHeight, behavior: reducedMotion.matches ? 'auto' : 'smooth' });
      this.jump.hidden = true;
    }

    add(bubble, force) {
      this.log.append(bubble);
      if (force || this.follow) {
        this.follow = true;
        this.log.scrollTop = this.log.scrollHeight;
      } else {
        this.jump.hidden = false;
      }
    }

    // Writing.

    // resize makes the box as tall as its lines, up to 160px: its height
    // counts its border, which its scrollHeight does not.
    resize() {
      const box = this.input;
      box.style.height = 'auto';
      box.style.height = `${Math.min(box.scrollHeight + box.offsetHeight - box.clientHeight, 160)}px`;
    }

    chooseFile(f) {
      this.clearFile();
      if (!f) {
        return;
      }
      this.file = f;
      const box = this.q('chosen-file');
      const thumb = box.querySelector('.chosen-thumb');
      if (f.type.startsWith('image/')) {
        this.fileURL = URL.createObjectURL(f);
        thumb.src = this.fileURL;
        thumb.hidden = false;
      }
      box.querySelector('.chosen-name').textContent = f.name;
      box.hidden = false;
    }

    clearFile() {
      this.file = null;
      this.fileInput.value = '';
      const box = this.q('chosen-file');
      box.hidden = true;
      const thumb = box.querySelector('.chosen-thumb');
      thumb.hidden = true;
      thumb.removeAttribute('src');
      this.fileURL = null; // a pending bubble may still show it
    }

    mine(m) {
      const b = el('div', { class: 'msg mine', 'data-testid': 'mine', 'data-state': 'pending' });
      this.fill(b, m);
      this.add(b, true);
      return b;
    }

    submit() {
      const text = this.input.value.trim();
      const file = this.file;
      if (!text && !file) {
        return;
      }
      if (maxText && [...text].length > maxText) {
        // Kept in the box, to be shortened: never lost.
        toast((labels.too_long || '').replace('{{.Max}}', String(maxText)));
        this.count();
        return;
      }
      const item = { id: newId() };
      if (this.replyTo) {
        item.reply_to = this.replyTo.id;
        item.quote = this.replyTo.text; // kept with it when the session ends
        this.setReplyTo(null);
      }
      let shown;
      if (file) {
        item.file = file;
        item.caption = text;
        const preview = { kind: file.type.startsWith('image/') ? 'photo' : 'document', url: this.fileURL, name: file.name };
        shown = { text: item.caption, attachments: [preview] };
      } else {
        item.text = text;
        shown = { text };
      }
      item.shownText = text;
      this.track(item, this.mine(shown));
      this.input.value = '';
      try { sessionStorage.removeItem(this.draftKey); } catch (e) { /* private mode */ }
      this.resize();
      this.count();
      this.clearFile();
      this.restoreUnsent(''); // the next of what an ended session did not take
      this.input.focus();
    }

    // keepUnsent saves the texts of the pane's queue, which the ended
    // session (or staff sign-in) never took, for the page that reloads:
    // they go back in the box, to be sent anew, each with the message it
    // answered, if any (a staff member's reply to a ticket). Presses
    // answered the old conversation's buttons, and a file cannot be kept:
    // those go. What is in the box follows them, with the message the
    // reply bar shows, and texts saved by an earlier reload whose box is
    // not sent yet come after. A draft alone, answering nothing, is kept
    // as every draft is.
    keepUnsent() {
      const kept = this.queue.filter((it) => it.text)
        .map((it) => ({ text: it.text, reply_to: it.reply_to || '', quote: it.quote || '' }));
      const r = this.replyTo || { id: '', text: '' };
      if (this.input.value.trim() && (kept.length > 0 || r.id)) {
        kept.push({ text: this.input.value, reply_to: r.id, quote: r.text });
      }
      if (kept.length === 0) {
        return;
      }
      try {
        sessionStorage.setItem(this.unsentKey, JSON.stringify(kept.concat(savedUnsent(this.unsentKey))));
        sessionStorage.removeItem(this.draftKey);
      } catch (e) { /* private mode: lost with the page */ }
    }

    // restoreUnsent puts the texts the last session did not take in the
    // box, after draft (the box's before a reload), as many as fit in
    // MaxText together, one a line, and answer the same message (shown in
    // the reply bar); the others follow once the box is sent. It says so,
    // and reports whether there were any.
    restoreUnsent(draft) {
      const kept = savedUnsent(this.unsentKey);
      if (kept.length === 0) {
        return false;
      }
      if (draft) {
        kept.unshift({ text: draft, reply_to: '', quote: '' });
      }
      const first = kept.shift();
      let box = first.text;
      while (kept.length > 0 && kept[0].reply_to === first.reply_to &&
        (!maxText || [...box].length + 1 + [...kept[0].text].length <= maxText)) {
        box += '\n' + kept.shift().text;
      }
      try {
        if (kept.length > 0) {
          sessionStorage.setItem(this.unsentKey, JSON.stringify(kept));
        } else {
          sessionStorage.removeItem(this.unsentKey);
        }
        sessionStorage.setItem(this.draftKey, box); // a reload before it is sent keeps it
      } catch (e) { /* private mode */ }
      this.input.value = box;
      this.setReplyTo(first.reply_to ? { id: first.reply_to, text: first.quote } : null);
      this.resize();
      this.count();
      toast(this.as ? labels.unsent_back_staff : labels.unsent_back);
      unsentToasted = true;
      return true;
    }

    // restoreKept puts back in a new pane's box what it held before the
    // page (re)loaded: what an ended session did not take, or else the
    // draft.
    restoreKept() {
      try {
        const draft = sessionStorage.getItem(this.draftKey);
        if (!this.restoreUnsent(draft) && draft) {
          this.input.value = draft;
          this.resize();
          this.count();
        }
      } catch (e) { /* private mode */ }
    }

    askPhone(label) {
      this.phone.setAttribute('aria-label', label);
      this.phoneForm.hidden = false;
      this.phone.focus();
    }

    submitPhone() {
      const phone = this.phone.value.trim();
      if (!phone) {
        return;
      }
      this.track({ id: newId(), phone }, this.mine({ phone }));
      this.phone.value = '';
      this.phoneForm.hidden = true;
      this.input.focus();
    }

    press(btn, button) {
      button.classList.add('chosen');
      this.enqueue({ id: newId(), button: btn.data });
    }

    track(item, bubble) {
      item.bubble = bubble;
      bubble.dataset.client = item.id;
      this.byClient.set(item.id, bubble);
      this.enqueue(item);
    }

    enqueue(item) {
      this.queue.push(item);
      this.pump();
    }

    // pump sends the queue's head; the next goes only once it is taken,
    // so the bot reads them in order.
    async pump() {
      if (this.sending || this.closed || this.queue.length === 0) {
        return;
      }
      this.sending = true;
      const item = this.queue[0];
      let wait = 0;
      try {
        const res = await this.post(item);
        if (res.ok) {
          sessionWorked = true;
          this.queue.shift();
          this.sendBackoff = 1000;
          if (item.bubble) {
            this.setState(item.bubble, 'sent');
          }
        } else if (res.status === 401) {
          this.sending = false; // kept: sent once the page has a session
          this.stalled(item);
          sessionRefused();
          return;
        } else if (res.status === 429) {
          wait = 1000 * (parseInt(res.headers.get('Retry-After'), 10) || 5);
          toast(labels.slow_down);
        } else if (res.status >= 500) {
          wait = this.nextBackoff();
          this.stalled(item);
        } else {
          this.queue.shift(); // refused: sending it again would not help
          this.refused(item, res.status);
        }
      } catch (e) {
        wait = this.nextBackoff(); // offline, or the server is away
        this.stalled(item);
      }
      this.sending = false;
      if (wait) {
        clearTimeout(this.pumpTimer);
        this.pumpTimer = setTimeout(() => this.pump(), wait);
      } else {
        this.pump();
      }
    }

    // stalled marks a message that did not go yet: it is tried again on
    // its own, and at once with its retry.
    stalled(item) {
      if (item.bubble) {
        this.setState(item.bubble, 'failed');
      }
    }

    // retry sends a message of one's own again: at once when it is still
    // queued, else (refused before) queued anew under the same id.
    retry(b) {
      const queued = this.queue.find((it) => it.bubble === b);
      this.setState(b, 'pending');
      if (queued) {
        this.retryNow();
        return;
      }
      const item = b.retryItem;
      if (item) {
        delete b.retryItem;
        this.enqueue(item);
      }
    }

    nextBackoff() {
      const d = this.sendBackoff;
      this.sendBackoff = Math.min(this.sendBackoff * 2, maxBackoff);
      return d;
    }

    post(item) {
      if (item.file) {
        const fd = new FormData();
        fd.set('id', item.id);
        fd.set('lang', lang);
        if (item.caption) {
          fd.set('caption', item.caption);
        }
        if (item.reply_to) {
          fd.set('reply_to', item.reply_to);
        }
        if (this.as) {
          fd.set('as', this.as);
          fd.set('chat', this.chat);
        }
        fd.set('file', item.file, item.file.name);
        return fetch(`${base}/api/upload`, { method: 'POST', body: fd, credentials: 'same-origin' });
      }
      const msg = { id: item.id, lang };
      for (const k of ['text', 'button', 'phone', 'reply_to']) {
        if (item[k]) {
          msg[k] = item[k];
        }
      }
      if (this.as) {
        msg.as = this.as;
        msg.chat = this.chat;
      }
      return fetch(`${base}/api/send`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(msg),
        credentials: 'same-origin',
      });
    }

    refused(item, status) {
      if (item.bubble) {
        item.bubble.retryItem = item;
        this.setState(item.bubble, 'failed');
      }
      // What was written is not lost: back in the box when the box is
      // empty.
      if (item.shownText && !this.input.value) {
        this.input.value = item.shownText;
        this.resize();
        this.count();
      }
      if (status === 413) {
        toast(labels.too_big);
      } else if (status === 415) {
        toast(labels.wrong_type);
      } else {
        toast(labels.not_sent);
      }
    }

    retryNow() {
      clearTimeout(this.pumpTimer);
      this.sendBackoff = 1000;
      this.pump();
    }
  }

  const panes = new Set();

  // savedUnsent returns the texts keepUnsent saved under key, oldest
  // first, each {text, reply_to, quote}; a plain string is a text kept by
  // the page of a version before replies were kept.
  function savedUnsent(key) {
    const str = (v) => (typeof v === 'string' ? v : '');
    try {
      const kept = JSON.parse(sessionStorage.getItem(key) || '[]');
      return (Array.isArray(kept) ? kept : [])
        .map((k) => (typeof k === 'string' ? { text: k } : k || {}))
        .map((k) => ({ text: str(k.text), reply_to: str(k.reply_to), quote: str(k.quote) }))
        .filter((k) => k.text);
    } catch (e) {
      return [];
    }
  }

  // forgetOthers drops what staff panes kept for anyone but person id,
  // who is now signed in on this tab.
  function forgetOthers(id) {
    try {
      const mine = `${staffKept}${id}:`;
      for (let i = sessionStorage.length - 1; i >= 0; i--) {
        const k = sessionStorage.key(i);
        if (k && k.startsWith(staffKept) && !k.startsWith(mine)) {
          sessionStorage.removeItem(k);
        }
      }
    } catch (e) { /* private mode: nothing kept */ }
  }

  // switchLang opens the page in lang, keeping what is in the box.
  function switchLang(to, draft) {
    try { sessionStorage.setItem(draftKey, draft || ''); } catch (e) { /* private mode */ }
    const u = new URL(window.location.href);
    u.searchParams.set('lang', to);
    window.location.replace(u.toString());
  }

  window.addEventListener('online', () => {
    showStatus();
    for (const p of panes) {
      p.retryNow();
    }
  });
  window.addEventListener('offline', showStatus);

  // The citizen's page: one conversation, their own.
  function startChat() {
    const p = new Pane(document.querySelector('[data-testid=panes]'), {});
    panes.add(p);
    p.restoreKept();
    const close = document.querySelector('[data-testid=close]');
    if (close) {
      close.addEventListener('click', () => window.parent.postMessage({ shakwa: 'close' }, '*'));
    }
    if (body.classList.contains('embedded') && window.parent !== window) {
      // The site that framed the chat may want to know it is up.
      window.parent.postMessage({ shakwa: 'ready' }, '*');
    }
    p.input.focus();
  }

  // The demo's staff page: pick a person, then see their chats side by
  // side and act in each as them.
  async function startStaff() {
    const list = document.querySelector('[data-testid=people]');
    const view = document.querySelector('[data-testid=panes]');
    const heading = document.querySelector('[data-testid=person-name]');
    const hint = document.querySelector('[data-testid=choose-person]');
    let people = [];
    try {
      const res = await fetch(`${base}/api/demo/people?lang=${encodeURIComponent(lang)}`, { credentials: 'same-origin' });
      people = (await res.json()) || [];
    } catch (e) {
      people = [];
    }
    const buttons = new Map();
    const tabs = document.querySelector('[data-testid=tabs]');

    // With more than one group, the groups are tabs beside the private
    // chat: one group shows at a time, the others count what came in.
    function showGroup(groups, i) {
      groups.forEach((g, j) => {
        g.pane.root.hidden = j !== i;
        g.tab.setAttribute('aria-selected', String(j === i));
        g.tab.tabIndex = j === i ? 0 : -1;
        if (j === i) {
          g.unread = 0;
          g.badge.hidden = true;
          g.pane.log.scrollTop = g.pane.log.scrollHeight;
        }
      });
    }

    function choose(p) {
      for (const pane of panes) {
        pane.destroy();
      }
      panes.clear();
      tabs.replaceChildren();
      tabs.hidden = true;
      for (const [id, b] of buttons) {
        b.setAttribute('aria-pressed', String(id === p.id));
      }
      heading.textContent = p.role ? `${p.name} · ${p.role}` : p.name;
      heading.hidden = false;
      hint.hidden = true;
      const groups = [];
      for (const ch of p.chats || []) {
        const pane = new Pane(view, { as: p.id, chat: ch.id, title: ch.label });
        panes.add(pane);
        pane.restoreKept();
        if (ch.group) {
          groups.push({ pane, label: ch.label, unread: 0 });
        }
      }
      if (groups.length > 1) {
        groups.forEach((g, i) => {
          g.badge = el('span', { class: 'badge', 'data-testid': 'unread', hidden: true });
          g.tab = el('button', { type: 'button', class: 'tab', role: 'tab', 'data-testid': 'tab', 'data-chat': g.pane.chat },
            el('span', { dir: 'auto', text: g.label }), g.badge);
          g.tab.addEventListener('click', () => showGroup(groups, i));
          g.pane.onMessage = () => {
            if (g.pane.root.hidden) {
              g.unread++;
              g.badge.textContent = String(g.unread);
              g.badge.hidden = false;
            }
          };
          tabs.append(g.tab);
        });
        tabs.hidden = false;
        showGroup(groups, 0);
      }
      history.replaceState(null, '', `#p=${encodeURIComponent(p.id)}`);
    }

    for (const p of people) {
      const b = el('button', { type: 'button', class: 'person', 'data-testid': 'person', 'data-id': p.id, 'aria-pressed': 'false' },
        el('span', { class: 'person-name-text', dir: 'auto', text: p.name }),
        el('span', { class: 'person-role', dir: 'auto', text: p.role || '' }),
        el('span', { class: 'person-serves', dir: 'auto', 'data-testid': 'serves', text: p.serves || '' }));
      b.addEventListener('click', () => choose(p));
      buttons.set(p.id, b);
      list.append(el('li', {}, b));
    }
    const wanted = new URLSearchParams(window.location.hash.slice(1)).get('p');
    // Signed in as one staff member (outside the demo): that is whom, and
    // what the tab kept for someone else before is not theirs to see.
    if (people.length === 1) {
      forgetOthers(people[0].id);
    }
    const first = people.length === 1 ? people[0] : people.find((p) => p.id === wanted);
    if (first) {
      choose(first);
    }
  }

  async function start() {
    try {
      const res = await fetch(`${base}/api/labels?lang=${encodeURIComponent(lang)}`, { credentials: 'same-origin' });
      labels = (await res.json()) || {};
    } catch (e) {
      labels = {};
    }
    showStatus();
    if (body.dataset.mode === 'staff') {
      await startStaff();
    } else {
      startChat();
    }
  }

  start();
})();
