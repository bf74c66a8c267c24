const SVG = 'http://www.w3.org/2000/svg';

/**
 * A small line chart (inline SVG, no library) of one series, with its latest value.
 *
 * @example
 * ```ts
 * panel.append(lineChart([3, 5, 2, 8], { label: 'Outbox pending' }));
 * ```
 */
export function lineChart(series: ReadonlyArray<number>, options: { label: string; width?: number; height?: number; unit?: string }): HTMLElement {
  const width = options.width ?? 320;
  const height = options.height ?? 90;
  // One sample draws as a flat line across the chart.
  const values = series.length === 1 ? [series[0]!, series[0]!] : series;
  const box = document.createElement('figure');
  box.className = 'chart';
  const caption = document.createElement('figcaption');
  const last = values.length > 0 ? values[values.length - 1]! : 0;
  caption.append(options.label, ' ');
  const strong = document.createElement('strong');
  strong.textContent = `${last}${options.unit ?? ''}`;
  caption.append(strong);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 4 - (v / max) * (height - 8)).toFixed(1)}`);
  const baseline = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 0, x2: width, y1: height - 4, y2: height - 4, class: 'axis' })) baseline.setAttribute(k, String(v));
  svg.append(baseline);
  if (points.length > 0) {
    const area = document.createElementNS(SVG, 'polygon');
    area.setAttribute('points', `0,${height - 4} ${points.join(' ')} ${((values.length - 1) * step).toFixed(1)},${height - 4}`);
    area.setAttribute('class', 'area');
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', 'line');
    svg.append(area, line);
  }
  box.append(caption, svg);
  return box;
}
