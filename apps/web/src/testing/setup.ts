import '@testing-library/jest-dom';
import { initI18n } from '../i18n';

// Tests read English unless they switch.
initI18n('en');

// A page rendered and typed into with user-event takes seconds on a loaded 2-core CI machine: the
// default 5 s timed out there once (VehiclesAdmin) while every assertion held. Set here, not in
// jest.config.cts: in the root multi-project run a project's testTimeout is ignored.
jest.setTimeout(30_000);
