import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ListCard, ListLoadMore, ListPager, ListSearch, ListState, ListTable } from './data-list.tsx';

const settled = { isPending: false, isError: false, error: null };
const empty = { icon: <span />, title: 'Nothing here', description: 'Add one.' };

describe('ListState', () => {
  it('shows the loading label while the query is pending, and not the list', () => {
    render(
      <ListState
        query={{ ...settled, isPending: true }}
        isEmpty={false}
        loadingLabel="Loading rows…"
        empty={empty}
      >
        <p>the list</p>
      </ListState>,
    );
    expect(screen.getByRole('status').textContent).toContain('Loading rows…');
    expect(screen.queryByText('the list')).toBeNull();
  });

  it("shows the query's error message", () => {
    render(
      <ListState query={{ ...settled, isError: true, error: new Error('Forbidden') }} isEmpty empty={empty}>
        <p>the list</p>
      </ListState>,
    );
    expect(screen.getByText('Forbidden')).toBeTruthy();
    expect(screen.queryByText('Nothing here')).toBeNull();
    expect(screen.queryByText('the list')).toBeNull();
  });

  it('shows the empty state when settled with no rows, and the list otherwise', () => {
    const { rerender } = render(
      <ListState query={settled} isEmpty empty={empty}>
        <p>the list</p>
      </ListState>,
    );
    expect(screen.getByText('Nothing here')).toBeTruthy();
    expect(screen.getByText('Add one.')).toBeTruthy();
    rerender(
      <ListState query={settled} isEmpty={false} empty={empty}>
        <p>the list</p>
      </ListState>,
    );
    expect(screen.getByText('the list')).toBeTruthy();
    expect(screen.queryByText('Nothing here')).toBeNull();
  });
});

describe('ListCard and ListTable', () => {
  it('renders the title with its count, headings (hidden ones for screen readers only) and rows', () => {
    render(
      <ListCard title="Library" count={1234} description="All documents" data-testid="card">
        <ListTable
          columns={[{ label: 'Title' }, { label: 'Actions', isHiddenLabel: true }]}
          data-testid="table"
        >
          <tr>
            <td>Travel policy</td>
            <td />
          </tr>
        </ListTable>
      </ListCard>,
    );
    const card = screen.getByTestId('card');
    expect(within(card).getByRole('heading').textContent).toBe('Library1,234');
    expect(screen.getByTestId('list-count').textContent).toBe('1,234');
    const headings = within(screen.getByTestId('table')).getAllByRole('columnheader');
    expect(headings.map((heading) => heading.textContent)).toEqual(['Title', 'Actions']);
    expect(headings[1]!.querySelector('.sr-only')).not.toBeNull();
    expect(screen.getByText('Travel policy')).toBeTruthy();
  });

  it('leaves the count out until it is known', () => {
    render(
      <ListCard title="Library">
        <p />
      </ListCard>,
    );
    expect(screen.queryByTestId('list-count')).toBeNull();
  });
});

describe('ListSearch', () => {
  it('reports what is typed, labelled for assistive technology', () => {
    const onChange = vi.fn();
    render(<ListSearch value="" onChange={onChange} placeholder="Search" label="Search users" />);
    fireEvent.change(screen.getByLabelText('Search users'), { target: { value: 'ada' } });
    expect(onChange).toHaveBeenCalledWith('ada');
  });
});

describe('ListPager', () => {
  it('shows nothing when everything fits on one page', () => {
    const { container } = render(<ListPager offset={0} pageSize={20} total={20} onOffsetChange={vi.fn()} />);
    expect(container.textContent).toBe('');
  });

  it('shows the range and moves by one page, disabled at either end', () => {
    const onOffsetChange = vi.fn();
    const { rerender } = render(
      <ListPager offset={0} pageSize={20} total={45} onOffsetChange={onOffsetChange} />,
    );
    expect(screen.getByText('1–20 of 45')).toBeTruthy();
    const previous = screen.getByRole('button', { name: /previous/i }) as HTMLButtonElement;
    expect(previous.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: /next/i }));
    expect(onOffsetChange).toHaveBeenCalledWith(20);

    rerender(<ListPager offset={40} pageSize={20} total={45} onOffsetChange={onOffsetChange} />);
    expect(screen.getByText('41–45 of 45')).toBeTruthy();
    expect((screen.getByRole('button', { name: /next/i }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: /previous/i }));
    expect(onOffsetChange).toHaveBeenLastCalledWith(20);
  });
});

describe('ListLoadMore', () => {
  it('offers the next page only while there is one', () => {
    const onLoad = vi.fn();
    const { rerender } = render(
      <ListLoadMore hasMore isLoading={false} onLoad={onLoad} label="Load older events" />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Load older events' }));
    expect(onLoad).toHaveBeenCalledTimes(1);
    rerender(<ListLoadMore hasMore={false} isLoading={false} onLoad={onLoad} label="Load older events" />);
    expect(screen.queryByRole('button')).toBeNull();
  });
});
