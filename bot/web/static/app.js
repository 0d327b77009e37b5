// The web chat page. Every word shown comes from the server: the bot's
// messages, or the page's labels (/chat/api/labels). Message text is only
// ever set with textContent.
'use strict';

(() => {
  const body = document.body;
  const base = body.dataset.base;
  const lang = body.dataset.lang;
  let labels = {};

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

  // Connection status and toasts, shared by the panes.

  const statusBar = document.querySelector('[data-testid=status]');
  const down = new Set(); // panes whose stream is being restored

  function showStatus() {
    let text = '';
    if (!navigator.onLine) {
      text = labels.connection_lost;
    } else if (down.size > 0) {
      text = labels.reconnecting;
    }
    statusBar.textContent = text || '';
    statusBar.hidden = !text;
  }

  const toastBox = document.querySelector('[data-testid=toast]');
  let toastTimer = 0;

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
      this.input.addEventListener('input', () => this.resize());
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
        if (this.atEnd()) {
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
        this.log.setAttribute('aria-busy', 'false');
        this.root.dataset.ready = 'true';
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
        window.location.reload(); // the session ended: the page starts a new one
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
        toast(m.text);
        return;
      }
      if (m.mine) {
        this.receiveMine(id, m);
        return;
      }
      const old = m.edit_of && this.byId.get(m.edit_of);
      if (old) {
        this.fill(old, m);
        this.byId.set(id, old);
        return;
      }
      const b = el('div', { class: 'msg bot', 'data-testid': 'bubble', 'data-id': id });
      this.fill(b, m);
      this.byId.set(id, b);
      this.add(b, false);
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
        return;
      }
      const b = el('div', {
        class: own ? 'msg mine' : 'msg other',
        'data-testid': own ? 'mine' : 'other',
        'data-id': id,
      });
      if (m.client_id) {
        b.dataset.client = m.client_id;
        this.byClient.set(m.client_id, b);
      }
      this.fill(b, m);
      this.add(b, false);
    }

    markChosen(data) {
      const bubbles = this.log.querySelectorAll('[data-testid=bubble]');
      for (let i = bubbles.length - 1; i >= 0; i--) {
        for (const b of bubbles[i].querySelectorAll('[data-testid=button]')) {
          if (b.dataset.data === data) {
            b.classList.add('chosen');
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
            const button = el('button', { type: 'button', class: 'choice', 'data-testid': 'button', 'data-data': btn.data, text: btn.label });
            button.addEventListener('click', () => this.press(btn, button));
            r.append(button);
          }
          box.append(r);
        }
        b.append(box);
      }
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
      const wasAtEnd = this.atEnd();
      this.log.append(bubble);
      if (force || wasAtEnd) {
        this.log.scrollTop = this.log.scrollHeight;
      } else {
        this.jump.hidden = false;
      }
    }

    // Writing.

    resize() {
      this.input.style.height = 'auto';
      this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
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
      const b = el('div', { class: 'msg mine pending', 'data-testid': 'mine' });
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
      const item = { id: newId() };
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
      this.track(item, this.mine(shown));
      this.input.value = '';
      this.resize();
      this.clearFile();
      this.input.focus();
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
          this.queue.shift();
          this.sendBackoff = 1000;
          if (item.bubble) {
            item.bubble.classList.remove('pending');
          }
        } else if (res.status === 401) {
          window.location.reload();
          return;
        } else if (res.status === 429) {
          wait = 1000 * (parseInt(res.headers.get('Retry-After'), 10) || 5);
          toast(labels.slow_down);
        } else if (res.status >= 500) {
          wait = this.nextBackoff();
        } else {
          this.queue.shift(); // refused: sending it again would not help
          this.refused(item, res.status);
        }
      } catch (e) {
        wait = this.nextBackoff(); // offline, or the server is away
      }
      this.sending = false;
      if (wait) {
        clearTimeout(this.pumpTimer);
        this.pumpTimer = setTimeout(() => this.pump(), wait);
      } else {
        this.pump();
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
        if (this.as) {
          fd.set('as', this.as);
          fd.set('chat', this.chat);
        }
        fd.set('file', item.file, item.file.name);
        return fetch(`${base}/api/upload`, { method: 'POST', body: fd, credentials: 'same-origin' });
      }
      const msg = { id: item.id, lang };
      for (const k of ['text', 'button', 'phone']) {
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
        item.bubble.classList.remove('pending');
        item.bubble.classList.add('failed');
        item.bubble.dataset.state = 'failed';
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
      const res = await fetch(`${base}/api/demo/people`, { credentials: 'same-origin' });
      people = (await res.json()) || [];
    } catch (e) {
      people = [];
    }
    const buttons = new Map();

    function choose(p) {
      for (const pane of panes) {
        pane.destroy();
      }
      panes.clear();
      for (const [id, b] of buttons) {
        b.setAttribute('aria-pressed', String(id === p.id));
      }
      heading.textContent = p.role ? `${p.name} · ${p.role}` : p.name;
      heading.hidden = false;
      hint.hidden = true;
      for (const ch of p.chats || []) {
        panes.add(new Pane(view, { as: p.id, chat: ch.id, title: ch.label }));
      }
      history.replaceState(null, '', `#p=${encodeURIComponent(p.id)}`);
    }

    for (const p of people) {
      const b = el('button', { type: 'button', class: 'person', 'data-testid': 'person', 'data-id': p.id, 'aria-pressed': 'false' },
        el('span', { class: 'person-name-text', dir: 'auto', text: p.name }),
        el('span', { class: 'person-role', dir: 'auto', text: p.role || '' }));
      b.addEventListener('click', () => choose(p));
      buttons.set(p.id, b);
      list.append(el('li', {}, b));
    }
    const wanted = new URLSearchParams(window.location.hash.slice(1)).get('p');
    const first = people.find((p) => p.id === wanted);
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
