import { useInfiniteQuery, type QueryKey } from "@tanstack/react-query";
import { useOnVisible } from "./hooks";

interface CursorPage<T> {
  results: T[];
  next_cursor?: string | null;
}

/**
 * A list the API serves in cursor pages, loaded a page at a time as its end scrolls into view:
 * the query, every item loaded so far, and the ref for the element at the end of the list.
 */
export function usePagedList<T, E extends Element = HTMLDivElement>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
  firstPage?: CursorPage<T>, // already at hand (inlined in the page): shown without a request
) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    initialData: firstPage ? { pages: [firstPage], pageParams: [undefined] } : undefined,
    initialDataUpdatedAt: firstPage ? performance.timeOrigin : undefined,
  });
  const end = useOnVisible<E>(() => void query.fetchNextPage(), query.hasNextPage && !query.isFetchingNextPage);
  const items = query.data?.pages.flatMap((page) => page.results) ?? [];
  return { query, items, end };
}
