export { Places, cityIndex, nearestPlace, type GeocoderConfig, type PlacePoint, type PlacesOptions } from './places';
export { compass8, formatNear, formatCoordinates, AT_PLACE_M, type Compass } from './format';
export { cellOf, cellCentre, CELL_SCALE, type Cell } from './cells';
export { decodeCities, loadCities, type Cities } from './cities';
export { CityIndex, type NearestCity } from './nearest';
export { RateLimiter } from './rate-limit';
export { reverseGeocode, shortPlace, type ReverseResult, type NominatimOptions } from './nominatim';
