import { useId, type Dispatch } from 'react';
import { useTranslation } from 'react-i18next';
import { fmt } from '../i18n';
import { SPEEDS, type ReplayAction, type ReplayState, type ReplaySpeed } from './clock';

/**
 * Replay controls: play/pause, speed ×1…×64, a scrubber (a native range input: arrows, Page Up/Down,
 * Home/End work; on it Space plays/pauses and +/- change speed), follow and skip-gaps switches.
 */
export function Timeline({
  state,
  dispatch,
  follow,
  onFollow,
}: {
  state: ReplayState;
  dispatch: Dispatch<ReplayAction>;
  follow: boolean;
  onFollow: (v: boolean) => void;
}) {
  const { t } = useTranslation();
  const ids = { scrub: useId(), speed: useId(), follow: useId(), gaps: useId() };
  const disabled = state.endMs <= state.startMs;
  return (
    <div className="timeline" role="group" aria-label={t('replay.controls')}>
      <button
        type="button"
        className="primary play"
        onClick={() => dispatch({ type: 'toggle' })}
        disabled={disabled}
        aria-label={state.playing ? t('replay.pause') : t('replay.play')}
        data-testid="replay-play"
      >
        {state.playing ? '❚❚' : '▶'}
      </button>
      <div className="field inline">
        <label htmlFor={ids.speed}>{t('replay.speed')}</label>
        <select
          id={ids.speed}
          value={state.speed}
          onChange={(e) => dispatch({ type: 'speed', speed: Number(e.target.value) as ReplaySpeed })}
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              ×{s}
            </option>
          ))}
        </select>
      </div>
      <div className="scrub">
        <label htmlFor={ids.scrub} className="visually-hidden">
          {t('replay.position')}
        </label>
        <input
          id={ids.scrub}
          type="range"
          min={state.startMs}
          max={Math.max(state.endMs, state.startMs + 1)}
          step={1000}
          value={state.cursorMs}
          disabled={disabled}
          aria-valuetext={disabled ? '' : fmt.dateTime(state.cursorMs)}
          onChange={(e) => dispatch({ type: 'seek', ms: Number(e.target.value) })}
          onKeyDown={(e) => {
            // Like a media player's timeline: space plays/pauses, + and - change the speed.
            if (e.key === ' ') {
              e.preventDefault();
              dispatch({ type: 'toggle' });
            } else if (e.key === '+') dispatch({ type: 'faster' });
            else if (e.key === '-') dispatch({ type: 'slower' });
          }}
          aria-keyshortcuts="Space + -"
          data-testid="replay-scrub"
        />
        <output htmlFor={ids.scrub} className="cursor-time">
          {disabled ? '—' : fmt.dateTime(state.cursorMs)}
        </output>
      </div>
      <div className="row">
        <input id={ids.follow} type="checkbox" checked={follow} onChange={(e) => onFollow(e.target.checked)} />
        <label htmlFor={ids.follow}>{t('replay.follow')}</label>
      </div>
      <div className="row">
        <input
          id={ids.gaps}
          type="checkbox"
          checked={state.skipGaps}
          onChange={(e) => dispatch({ type: 'skipGaps', value: e.target.checked })}
        />
        <label htmlFor={ids.gaps}>{t('replay.skipGaps')}</label>
      </div>
    </div>
  );
}
