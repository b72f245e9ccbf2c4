// The plots on the page: a Rust PlotBoard (plotters + plotters-canvas) draws onto the canvases
// what the training worker sends. This file only wires events: one dirty plot is drawn per
// animation frame, a drag turns the 3D scatter, the wheel zooms it.
import { PlotBoard, plotNames } from '../pkg/seq2seq_playground.js';

const KEPT_TIMES = 50;

export function createPlots({ onError }) {
  const board = new PlotBoard();
  // The plots are named once, in Rust (`viz::PlotName`); each has the canvas of that id.
  const CANVASES = JSON.parse(plotNames());
  const missing = CANVASES.filter((id) => !(document.getElementById(id) instanceof HTMLCanvasElement));
  if (missing.length) throw new Error(`the page has no canvas for the plot(s) ${missing.join(', ')}`);
  const drawTimes = Object.fromEntries(CANVASES.map((id) => [id, []]));
  const draws = Object.fromEntries(CANVASES.map((id) => [id, 0]));
  const dirty = new Set(CANVASES);
  let frameRequested = false;

  function drawOne(id) {
    const t0 = performance.now();
    try {
      board.draw(id, document.getElementById(id));
    } catch (e) {
      onError(`the ${id} plot could not be drawn: ${e}`);
    }
    const times = drawTimes[id];
    times.push(performance.now() - t0);
    if (times.length > KEPT_TIMES) times.shift();
    draws[id] += 1;
  }

  function frame() {
    frameRequested = false;
    const [next] = dirty;
    if (next === undefined) return;
    dirty.delete(next);
    drawOne(next);
    if (dirty.size) request();
  }

  function request() {
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(frame);
    }
  }

  function redraw(...ids) {
    for (const id of ids.length ? ids : CANVASES) dirty.add(id);
    request();
  }

  // Drag turns the scatter; the wheel zooms it.
  const scatter = document.getElementById('embedding-3d');
  let dragFrom = null;
  scatter.addEventListener('pointerdown', (e) => {
    dragFrom = { x: e.clientX, y: e.clientY };
    scatter.setPointerCapture(e.pointerId);
  });
  scatter.addEventListener('pointermove', (e) => {
    if (!dragFrom) return;
    board.drag(e.clientX - dragFrom.x, e.clientY - dragFrom.y);
    dragFrom = { x: e.clientX, y: e.clientY };
    redraw('embedding-3d');
  });
  const endDrag = () => { dragFrom = null; };
  // A click (press and release without moving) picks the point under it.
  let pressedAt = null;
  let onPick = () => {};
  scatter.addEventListener('pointerdown', (e) => { pressedAt = { x: e.clientX, y: e.clientY }; });
  scatter.addEventListener('pointerup', (e) => {
    if (pressedAt && Math.hypot(e.clientX - pressedAt.x, e.clientY - pressedAt.y) < 4) {
      const box = scatter.getBoundingClientRect();
      const x = (e.clientX - box.left) * (scatter.width / box.width);
      const y = (e.clientY - box.top) * (scatter.height / box.height);
      const token = board.tokenAt(x, y);
      if (token !== undefined) onPick(token);
    }
    pressedAt = null;
  });
  scatter.addEventListener('pointerup', endDrag);
  // A click on a head enlarges it (or, when one is enlarged, goes back to all of them).
  const heads = document.getElementById('attention-heads');
  let onHeadPick = () => {};
  heads.addEventListener('click', (e) => {
    const box = heads.getBoundingClientRect();
    const x = (e.clientX - box.left) * (heads.width / box.width);
    const y = (e.clientY - box.top) * (heads.height / box.height);
    onHeadPick(board.headAt(x, y) ?? null);
  });
  scatter.addEventListener('pointercancel', endDrag);
  scatter.addEventListener('wheel', (e) => {
    e.preventDefault();
    board.zoom(Math.exp(-e.deltaY * 0.0015));
    redraw('embedding-3d');
  }, { passive: false });

  // Under the scatter: the searched token's nearest neighbours (cosine, in the full space).
  function showNeighbours() {
    const found = JSON.parse(board.search());
    const element = document.getElementById('embedding-neighbours');
    if (!found) {
      element.textContent = '';
    } else if (found.index === null) {
      element.textContent = `no token "${found.token}" on this side`;
    } else {
      const list = found.neighbours.map((n) => `${n.token} ${n.cosine.toFixed(2)}`).join(', ');
      element.textContent = `nearest to ${found.token} (cosine similarity): ${list}`;
    }
  }

  // Beside the curves: whether validation follows training, or the run memorises (Rust says).
  function showGap() {
    const note = JSON.parse(board.gapNote());
    const element = document.getElementById('gap-note');
    element.textContent = note ? note.text : '';
    element.className = note ? `gap-${note.level}` : '';
  }

  redraw();
  return {
    board,
    names: CANVASES,
    drawTimes,
    draws,
    redraw,
    setData(json) {
      board.setData(json);
      showNeighbours();
      redraw('embedding-3d', 'attention', 'padding-mask', 'attention-heads', 'positional-encoding');
    },
    recordTrain(step, loss) {
      board.recordTrain(step, loss);
      redraw('curves');
    },
    recordEvaluation(evaluation) {
      board.recordEvaluation(JSON.stringify(evaluation));
      showGap();
      redraw('curves');
    },
    setOptions(options) {
      board.setOptions(JSON.stringify(options));
      showNeighbours();
      redraw('embedding-3d', 'curves', 'attention-heads');
    },
    onPick(callback) {
      onPick = callback;
    },
    onHeadPick(callback) {
      onHeadPick = callback;
    },
    // The try-it box's beam search, drawn at once (null: the view says how to get one).
    showBeam(beam) {
      board.setBeam(JSON.stringify(beam ?? null));
      try {
        board.drawBeam(document.getElementById('beam'));
      } catch (e) {
        onError(`the beam view could not be drawn: ${e}`);
      }
    },
    clear() {
      board.clear();
      showGap();
      redraw();
    },
  };
}
