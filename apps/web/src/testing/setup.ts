import '@testing-library/jest-dom';
import { initI18n } from '../i18n';

// Tests read English unless they switch.
initI18n('en');
