import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useReducer, useState } from 'react';
import { initialReplay, replayReducer } from './clock';
import { Timeline } from './Timeline';

const START = Date.parse('2026-11-27T08:00:00Z');

function Harness() {
  const [state, dispatch] = useReducer(
    replayReducer,
    replayReducer(initialReplay, { type: 'load', startMs: START, endMs: START + 3_600_000 }),
  );
  const [follow, setFollow] = useState(true);
  return (
    <>
      <Timeline state={state} dispatch={dispatch} follow={follow} onFollow={setFollow} />
      <output data-testid="state">{JSON.stringify({ ...state, follow })}</output>
    </>
  );
}

const state = () => JSON.parse(screen.getByTestId('state').textContent ?? '{}');

describe('Timeline', () => {
  it('plays and pauses with its button, which says what it will do', async () => {
    render(<Harness />);
    const button = screen.getByRole('button', { name: 'Play' });
    await userEvent.click(button);
    expect(state().playing).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(state().playing).toBe(false);
  });

  it('offers the speeds ×1 to ×64', async () => {
    render(<Harness />);
    const speed = screen.getByLabelText('Speed');
    expect([...(speed as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      '×1',
      '×2',
      '×4',
      '×8',
      '×16',
      '×32',
      '×64',
    ]);
    await userEvent.selectOptions(speed, '32');
    expect(state().speed).toBe(32);
  });

  it('scrubs with the slider and announces the time at the cursor', () => {
    render(<Harness />);
    const slider = screen.getByRole('slider', { name: 'Time in the replay' });
    act(() => {
      fireEvent.change(slider, { target: { value: String(START + 1_800_000) } });
    });
    expect(state().cursorMs).toBe(START + 1_800_000);
    expect(slider.getAttribute('aria-valuetext')).toMatch(/\d/);
  });

  it('on the slider, Space plays and pauses and + / - change the speed', () => {
    render(<Harness />);
    const slider = screen.getByRole('slider');
    fireEvent.keyDown(slider, { key: ' ' });
    expect(state().playing).toBe(true);
    fireEvent.keyDown(slider, { key: '+' });
    fireEvent.keyDown(slider, { key: '+' });
    expect(state().speed).toBe(4);
    fireEvent.keyDown(slider, { key: '-' });
    expect(state().speed).toBe(2);
    fireEvent.keyDown(slider, { key: ' ' });
    expect(state().playing).toBe(false);
  });

  it('switches following and gap skipping', async () => {
    render(<Harness />);
    await userEvent.click(screen.getByLabelText('Follow'));
    await userEvent.click(screen.getByLabelText('Skip gaps'));
    expect(state()).toMatchObject({ follow: false, skipGaps: false });
  });
});
