/**
 * @jest-environment node
 */
import { deviceSetup } from './setup-links';

describe('deviceSetup', () => {
  it('gives Traccar Client the OsmAnd port and OwnTracks a config link with the credentials', () => {
    const setup = deviceSetup({
      origin: 'https://fleet.example.com',
      osmandPort: 5055,
      identifier: 'demo-01',
      token: 'secret-token',
      name: 'Van 01',
    });
    expect(setup.traccarUrl).toBe('http://fleet.example.com:5055');
    expect(setup.traccarGatewayUrl).toBe('https://fleet.example.com/api/v1/osmand');
    expect(setup.ownTracksUrl).toBe('https://fleet.example.com/api/v1/owntracks');
    const [scheme, query] = setup.ownTracksConfigLink.split('?inline=');
    expect(scheme).toBe('owntracks:///config');
    const config = JSON.parse(Buffer.from(decodeURIComponent(query), 'base64').toString('utf8'));
    expect(config).toMatchObject({
      _type: 'configuration',
      mode: 3,
      url: 'https://fleet.example.com/api/v1/owntracks',
      auth: true,
      username: 'demo-01',
      password: 'secret-token',
      tid: '01',
    });
  });

  it('leaves the password out when the token is not known', () => {
    const setup = deviceSetup({
      origin: 'http://localhost:4200',
      osmandPort: 5055,
      identifier: 'x-1234',
      name: 'Ñandú',
    });
    const config = JSON.parse(
      Buffer.from(decodeURIComponent(setup.ownTracksConfigLink.split('=')[1]), 'base64').toString(),
    );
    expect(config.password).toBeUndefined();
    expect(setup.traccarUrl).toBe('http://localhost:5055');
  });
});
