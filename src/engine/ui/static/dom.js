// Every value on the page comes from a manifest, i.e. from the job (keys, operator names, errors):
// it is set as text, never parsed as HTML.
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.data ?? {})) node.dataset[name] = String(value);
  for (const child of children) node.append(child);
  return node;
}

export function mark(kind, text) {
  return el('span', { className: `mark ${kind}`, text });
}

/** The batch time as the CLI prints it: UTC clock time with milliseconds. */
export function clockTime(millis) {
  return new Date(millis).toISOString().slice(11, 23);
}

export function number(value, digits = 0) {
  if (value === undefined || value === null) return '';
  return digits === 0 ? String(Math.round(value)) : value.toFixed(digits);
}

export function usd(value) {
  return value === undefined || value === null ? '' : value.toFixed(6);
}
