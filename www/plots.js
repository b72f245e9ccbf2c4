// The plots on the page: a Rust PlotBoard (plotters + plotters-canvas) draws onto the canvases
// what the training worker sends. This file only wires events: one dirty plot is drawn per
// animation frame, a drag turns the 3D scatter, the wheel zooms it.
import { PlotBoard } from '../pkg/seq2seq_playground.js';

export const CANVASES = ['embedding-3d', 'attention', 'padding-mask', 'curves'];
const KEPT_TIMES = 50;

export function createPlots({ onError }) {
  const board = new PlotBoard();
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
  scatter.addEventListener('pointerup', endDrag);
  scatter.addEventListener('pointercancel', endDrag);
  scatter.addEventListener('wheel', (e) => {
    e.preventDefault();
    board.zoom(Math.exp(-e.deltaY * 0.0015));
    redraw('embedding-3d');
  }, { passive: false });

  redraw();
  return {
    board,
    drawTimes,
    draws,
    redraw,
    setData(json) {
      board.setData(json);
      redraw('embedding-3d', 'attention', 'padding-mask');
    },
    recordTrain(step, loss) {
      board.recordTrain(step, loss);
      redraw('curves');
    },
    recordEvaluation(evaluation) {
      board.recordEvaluation(evaluation.step, evaluation.loss, evaluation.token_accuracy, evaluation.exact_accuracy);
      redraw('curves');
    },
    setOptions(options) {
      board.setOptions(JSON.stringify(options));
      redraw('embedding-3d', 'curves');
    },
    clear() {
      board.clear();
      redraw();
    },
  };
}
