import type { VehicleGroup } from '@fleet/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setLanguage } from '../../i18n';
import { renderSignedIn } from '../../testing/render';
import { GroupsAdmin, possibleParents } from './GroupsAdmin';

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const group = (i: number, name: string, depth: number, parentId: string | null, vehicleCount = 0): VehicleGroup => ({
  id: id(i),
  name,
  parentId,
  depth,
  vehicleCount,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
// Norte ⊃ Depot Norte ⊃ Muelle; Sur.
const tree = () => [
  group(1, 'Norte', 0, null),
  group(2, 'Depot Norte', 1, id(1), 3),
  group(3, 'Muelle', 2, id(2)),
  group(4, 'Sur', 0, null, 1),
];

afterEach(() => setLanguage('en'));

describe('GroupsAdmin', () => {
  it('shows the tree and creates a group inside another', async () => {
    const all = tree();
    const { api } = await renderSignedIn(<GroupsAdmin />, {
      'GET /api/v1/groups': () => ({ status: 200, body: { items: all } }),
      'POST /api/v1/groups': (req) => {
        const body = req.body as { name: string; parentId: string | null };
        all.push(group(5, body.name, 1, body.parentId));
        return { status: 201, body: all[all.length - 1] };
      },
    });
    const list = await screen.findByRole('list', { name: 'Groups' });
    expect((await within(list).findAllByRole('listitem')).map((li) => li.querySelector('span')?.textContent)).toEqual([
      'Norte',
      'Depot Norte',
      'Muelle',
      'Sur',
    ]);
    expect(within(list).getByText('3 vehicles')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'New group' }));
    await userEvent.type(screen.getByLabelText('Name'), 'Depot Sur');
    await userEvent.selectOptions(screen.getByLabelText('Inside'), id(4));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Depot Sur')).toBeInTheDocument();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ name: 'Depot Sur', parentId: id(4) });
  });

  it('moves a group: never below itself, to the top with "top level"', async () => {
    expect(possibleParents(tree(), tree()[1]).map((g) => g.name)).toEqual(['Norte', 'Sur']);
    const { api } = await renderSignedIn(<GroupsAdmin />, {
      'GET /api/v1/groups': () => ({ status: 200, body: { items: tree() } }),
      [`PATCH /api/v1/groups/${id(2)}`]: (req) => ({ status: 200, body: { ...tree()[1], ...(req.body as object) } }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit Depot Norte' }));
    const parent = screen.getByLabelText('Inside');
    const options = within(parent)
      .getAllByRole('option')
      .map((o) => o.textContent?.trim());
    expect(options).toEqual(['(top level)', 'Norte', 'Sur']);
    await userEvent.selectOptions(parent, '');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.requests.some((r) => r.method === 'PATCH')).toBe(true));
    expect(api.requests.find((r) => r.method === 'PATCH')?.body).toEqual({ name: 'Depot Norte', parentId: null });
  });

  it('says why a group cannot be deleted (the 409 of the server), in Spanish too', async () => {
    await setLanguage('es');
    await renderSignedIn(<GroupsAdmin />, {
      'GET /api/v1/groups': () => ({ status: 200, body: { items: tree() } }),
      [`DELETE /api/v1/groups/${id(1)}`]: () => ({
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: 'the group is in use: move or delete its subgroups, users first',
            details: [
              { path: 'subgroups', message: '1 subgroup' },
              { path: 'users', message: '2 users limited to it' },
            ],
          },
        },
      }),
    });
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    try {
      await userEvent.click(await screen.findByRole('button', { name: 'Eliminar Norte' }));
      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent('No se puede eliminar este grupo mientras tenga:');
      expect(
        within(alert)
          .getAllByRole('listitem')
          .map((li) => li.textContent),
      ).toEqual(['subgrupos (muévelos o elimínalos antes)', 'usuarios limitados a él (cambia antes sus grupos)']);
      expect(confirm).toHaveBeenCalledWith('¿Eliminar el grupo Norte?');
    } finally {
      confirm.mockRestore();
    }
  });
});
