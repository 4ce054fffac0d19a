import { type DragEvent, type RefObject, useRef, useState } from 'react';

/** The file types ingestion reads (uploads and notebooks). */
export const ACCEPTED_TYPES =
  '.pdf,.docx,.xlsx,.csv,.pptx,.html,.htm,.md,.markdown,.json,.txt,application/pdf,text/plain,text/markdown,text/csv,text/html,application/json';

/**
 * Drag-and-drop of files onto an element: spread `handlers` on the drop target; `isDragging`
 * is true while files hover over it (children entering and leaving do not flicker it). A drop
 * target is for the mouse: keyboard users need another way in (a browse button).
 */
export function useFileDrop(onFiles: (files: File[]) => void) {
  const depth = useRef(0);
  const [isDragging, setIsDragging] = useState(false);
  const handlers = {
    onDragEnter: (event: DragEvent) => {
      event.preventDefault();
      depth.current += 1;
      setIsDragging(true);
    },
    onDragOver: (event: DragEvent) => event.preventDefault(),
    onDragLeave: () => {
      depth.current -= 1;
      if (depth.current <= 0) setIsDragging(false);
    },
    onDrop: (event: DragEvent) => {
      event.preventDefault();
      depth.current = 0;
      setIsDragging(false);
      const files = [...event.dataTransfer.files];
      if (files.length) onFiles(files);
    },
  };
  return { isDragging, handlers };
}

/** The hidden file input a drop target's "browse" button opens (several files, readable types). */
export function HiddenFileInput({
  inputRef,
  label,
  onFiles,
  'data-testid': testId,
}: {
  inputRef: RefObject<HTMLInputElement | null>;
  label: string;
  onFiles: (files: File[]) => void;
  'data-testid'?: string;
}) {
  return (
    <input
      ref={inputRef}
      type="file"
      multiple
      accept={ACCEPTED_TYPES}
      className="sr-only"
      tabIndex={-1}
      aria-label={label}
      data-testid={testId}
      onChange={(event) => {
        const files = [...(event.target.files ?? [])];
        event.target.value = '';
        if (files.length) onFiles(files);
      }}
    />
  );
}
