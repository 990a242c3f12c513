import { createContext, useContext } from 'react';
import { resolveConfig, type WebConfig } from '../config';

export const ConfigContext = createContext<WebConfig>(resolveConfig({}));
export const useConfig = () => useContext(ConfigContext);
