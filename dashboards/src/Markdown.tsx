/**
 * Markdown written by users (run notes) or by the server (experiment captions), rendered safely:
 * react-markdown builds React elements, never HTML strings, so raw HTML in the text shows as text;
 * its URL filter drops `javascript:` and other unsafe links; images are not loaded (a note could
 * otherwise make every reader's browser call any address).
 */
import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} rel="noopener noreferrer nofollow" target="_blank">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
};

export function Markdown({ text, className, testId }: { text: string; className?: string; testId?: string }) {
  return (
    <div className={className} data-testid={testId}>
      <ReactMarkdown components={components} disallowedElements={['img']} unwrapDisallowed>
        {text}
      </ReactMarkdown>
    </div>
  );
}
