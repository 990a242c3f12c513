import { render, screen } from '@testing-library/react';
import { readTrack } from '../replay/track';
import { HistoryChart } from './HistoryChart';

const fixes = (n: number) =>
  readTrack({
    type: 'FeatureCollection',
    features: Array.from({ length: n }, (_, i) => ({
      type: 'Feature' as const,
      geometry: { type: 'Point' as const, coordinates: [-3.7, 40.4 + i / 1000] },
      properties: { ts: new Date(Date.UTC(2026, 10, 27, 8, i)).toISOString(), attributes: {} },
    })),
  });

describe('HistoryChart', () => {
  it('shows nothing for an empty period', () => {
    const { container } = render(<HistoryChart track={fixes(0)} cursorMs={0} onSeek={() => undefined} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('says so, as a figure with its text summary, when the fixes carry no speed, altitude or battery', () => {
    render(<HistoryChart track={fixes(3)} cursorMs={0} onSeek={() => undefined} />);
    const figure = screen.getByRole('figure', { name: 'Chart of the period' });
    expect(figure).toHaveAccessibleDescription('No speed, altitude or battery in this period.');
    expect(screen.getByText('No speed, altitude or battery in this period.', { selector: 'p.muted' })).toBeVisible();
    expect(screen.queryByTestId('history-chart-plot')).toBeNull();
  });
});
