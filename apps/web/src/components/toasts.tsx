import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface Toast {
  id: number;
  title: string;
  body?: string;
  kind?: 'info' | 'warning' | 'error' | 'success';
}

const ToastContext = createContext<(toast: Omit<Toast, 'id'>) => void>(() => undefined);

const MAX_VISIBLE = 4;
const LIFETIME_MS = 6000;

/** Short notices in a polite live region (screen readers hear them without losing their place). */
export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((x) => x.id !== id)), []);
  const notify = useCallback(
    (toast: Omit<Toast, 'id'>) => {
      const id = next.current++;
      setToasts((list) => [...list, { ...toast, id }].slice(-MAX_VISIBLE));
      setTimeout(() => dismiss(id), LIFETIME_MS);
    },
    [dismiss],
  );
  return (
    <ToastContext.Provider value={notify}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast--${toast.kind ?? 'info'}`}>
            <div>
              <strong>{toast.title}</strong>
              {toast.body && <div>{toast.body}</div>}
            </div>
            <button
              type="button"
              className="icon-button"
              onClick={() => dismiss(toast.id)}
              aria-label={t('common.dismiss')}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export const useToast = () => useContext(ToastContext);
